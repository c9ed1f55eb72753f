import Hummingbird
import Logging
import LongrunCore
import ServiceLifecycle

/// Builds an API node, for the `longrun` executable and for tests alike, so tests run
/// the graph the binary runs. `services` run inside the node (the store's notification
/// publisher), beside the node's change feed (its one LISTEN for long polls and streams); `metrics` renders `/metrics` (the Prometheus text of the process's
/// registry); `routes` collects what was registered (tests compare it with the OpenAPI
/// document); `changeFeed` is the node's feed when a test watches it; `onServerRunning` learns the bound port (useful with port 0).
public func buildAPI(
    configuration: APIConfiguration,
    store: some OperationStore,
    registry: HandlerRegistry,
    services: [any Service] = [],
    metrics: @escaping @Sendable () -> String = { "" },
    routes table: RouteTable = RouteTable(),
    changeFeed: ChangeFeed? = nil,
    logger: Logger,
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = Router(context: APIRequestContext.self)
    // Outermost first: metrics see every answer, problems included.
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware(routes: table))
    HealthRoutes(readiness: store, timeout: configuration.readinessTimeout, logger: logger).register(
        on: router, table: table)
    router.get("metrics") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics()))
        )
    }
    table.add(.get, "/metrics")
    let document = try OpenAPIDocument.render(mounts: configuration.mounts)
    router.get("openapi.yaml") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml"],
            body: .init(byteBuffer: ByteBuffer(string: document))
        )
    }
    table.add(.get, "/openapi.yaml")

    if configuration.authentication == .none {
        logger.warning("authentication is off (--auth none): every request acts for the tenant 'default'")
    }
    let authenticated = router.group()
        .add(middleware: AuthenticationMiddleware(store: store, mode: configuration.authentication))
    let feed = changeFeed ?? ChangeFeed(source: store, limit: configuration.maxWatchers, logger: logger)
    OperationRoutes(store: store, registry: registry, configuration: configuration, feed: feed)
        .register(on: authenticated, table: table)

    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "longrun"),
        services: services + [feed],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}
