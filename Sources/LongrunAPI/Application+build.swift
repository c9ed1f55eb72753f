import Hummingbird
import Logging
import LongrunCore
import NIOCore
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
    router.add(middleware: ProblemMiddleware(routes: table, unavailable: { store.isUnavailable($0) }))
    registerStatusRoutes(
        on: router, table: table, readiness: store, timeout: configuration.readinessTimeout, metrics: metrics,
        logger: logger)
    let document = try OpenAPIDocument.render(kinds: registry.kinds, mounts: configuration.mounts)
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
        .add(
            middleware: AuthenticationMiddleware(
                store: store, mode: configuration.authentication, keyCacheLifetime: configuration.keyCacheLifetime))
    let feed = changeFeed ?? ChangeFeed(source: store, limit: configuration.maxWatchers, logger: logger)
    OperationRoutes(store: store, registry: registry, configuration: configuration, feed: feed)
        .register(on: authenticated, table: table)

    let readTimeout = TimeAmount(configuration.requestReadTimeout)
    return Application(
        router: router,
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [RequestReadDeadline(limit: readTimeout)],
                idleTimeout: TimeAmount(configuration.idleTimeout)
            )
        ),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "longrun"),
        services: services + [feed],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// A worker's or notifier's own small HTTP server: `/healthz`, `/readyz` and `/metrics`
/// as an API node serves them, so orchestrators probe and scrape every process alike.
public func buildStatusServer(
    host: String,
    port: Int,
    readiness: some SchemaReadiness,
    readinessTimeout: Duration = .seconds(2),
    metrics: @escaping @Sendable () -> String,
    logger: Logger,
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: APIRequestContext.self)
    let table = RouteTable()
    router.add(middleware: ProblemMiddleware(routes: table))
    registerStatusRoutes(
        on: router, table: table, readiness: readiness, timeout: readinessTimeout, metrics: metrics,
        logger: logger)
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: "longrun"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger
    )
}

private func registerStatusRoutes(
    on router: Router<some RequestContext>, table: RouteTable, readiness: some SchemaReadiness, timeout: Duration,
    metrics: @escaping @Sendable () -> String, logger: Logger
) {
    HealthRoutes(readiness: readiness, timeout: timeout, logger: logger).register(on: router, table: table)
    router.get("metrics") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics()))
        )
    }
    table.add(.get, "/metrics")
}
