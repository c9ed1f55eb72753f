import Hummingbird
import Logging
import LongrunAPI
import LongrunCore
import LongrunPostgres
import LongrunWorker
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The services of one process, in dependency order: a ServiceGroup starts them in this
/// order and stops them in reverse, so the pool outlives everything that uses it.
enum Services {
    static func api(
        databaseURL: String,
        configuration: APIConfiguration,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> [any Service] {
        let (store, pool) = try PostgresStore.connecting(to: databaseURL, logger: logger)
        let api = try buildAPI(
            configuration: configuration, store: store, registry: .demoKinds, services: [store.publisher],
            metrics: { PrometheusMetricsFactory.defaultRegistry.emitToString() }, logger: logger,
            onServerRunning: onServerRunning
        )
        return [pool, api]
    }

    /// Runs `services` until SIGTERM or SIGINT, then shuts them down gracefully.
    static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
