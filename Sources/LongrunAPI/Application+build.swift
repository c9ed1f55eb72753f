import Hummingbird
import Logging
import LongrunCore
import ServiceLifecycle

/// Builds an API node, for the `longrun` executable and for tests alike, so tests run
/// the graph the binary runs. `services` run inside the node (the store's notification
/// publisher); `onServerRunning` learns the bound port (useful with port 0).
public func buildAPI(
    configuration: APIConfiguration,
    store: some OperationStore,
    registry: HandlerRegistry,
    services: [any Service] = [],
    logger: Logger,
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: APIRequestContext.self)
    let table = RouteTable()
    router.add(middleware: ProblemMiddleware(routes: table))
    HealthRoutes(readiness: store, timeout: configuration.readinessTimeout, logger: logger).register(
        on: router, table: table)

    if configuration.authentication == .none {
        logger.warning("authentication is off (--auth none): every request acts for the tenant 'default'")
    }
    let authenticated = router.group()
        .add(middleware: AuthenticationMiddleware(store: store, mode: configuration.authentication))
    OperationRoutes(store: store, registry: registry, configuration: configuration)
        .register(on: authenticated, table: table)

    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "longrun"),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}
