import Hummingbird
import Logging
import LongrunAPI
import LongrunCore
import LongrunNotifier
import LongrunPostgres
import LongrunWorker
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The services of one process, in dependency order: a ServiceGroup starts them in this
/// order and stops them in reverse, so the pool outlives everything that uses it and the
/// worker drains before the API stops answering.
enum Services {
    /// What a worker role needs beyond its WorkerConfiguration.
    struct WorkerRole {
        var configuration: WorkerConfiguration
        var prunePolicy: PrunePolicy
        var maintenanceInterval: Duration

        init(_ options: WorkerOptions, shutdown: ShutdownOptions) throws {
            configuration = try options.configuration(shutdown: shutdown)
            prunePolicy = try options.prunePolicy()
            maintenanceInterval = try options.resolvedMaintenanceInterval()
        }
    }

    /// Where a worker or notifier serves its health and metrics.
    struct StatusEndpoint {
        var host: String
        var port: Int
    }

    /// An API node, a worker, a notifier, or all of them (`longrun all`), on one pool.
    static func process(
        databaseURL: String,
        pool settings: PoolSettings,
        notifications: NotificationMode,
        api: APIConfiguration? = nil,
        worker: WorkerRole? = nil,
        notifier: NotifierConfiguration? = nil,
        status: StatusEndpoint? = nil,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> [any Service] {
        let (store, pool) = try PostgresStore.connecting(
            to: databaseURL, pool: settings, notifications: notifications, logger: logger)
        var services: [any Service] = [pool, store.publisher]
        if let api {
            services.append(
                try buildAPI(
                    configuration: api, store: store, registry: .demoKinds,
                    metrics: { PrometheusMetricsFactory.defaultRegistry.emitToString() }, logger: logger,
                    onServerRunning: onServerRunning
                )
            )
        }
        if let worker {
            services.append(
                Worker(store: store, registry: .demoKinds, configuration: worker.configuration, logger: logger))
            services.append(
                Maintenance(
                    store: store, policy: worker.prunePolicy, interval: worker.maintenanceInterval, logger: logger))
        }
        if let notifier {
            services.append(Notifier(store: store, configuration: notifier, logger: logger))
        }
        if let status {
            services.append(
                buildStatusServer(
                    host: status.host, port: status.port, readiness: store,
                    metrics: { PrometheusMetricsFactory.defaultRegistry.emitToString() }, logger: logger))
        }
        return services
    }

    /// Runs `services` until SIGTERM or SIGINT, then shuts them down gracefully. A
    /// shutdown that outlasts `shutdownLimit` (the handlers' grace, and time to write what
    /// they leave, e.g. with the database gone) is cut short by cancellation, so a
    /// process told to stop always stops.
    static func run(_ services: [any Service], shutdownLimit: Duration = .seconds(60), logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = shutdownLimit
        try await ServiceGroup(configuration: configuration).run()
    }
}
