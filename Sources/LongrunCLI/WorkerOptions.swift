import ArgumentParser
import Foundation
import LongrunCore
import LongrunWorker

/// Flags of the processes that run operations.
struct WorkerOptions: ParsableArguments {
    @Option(help: "Queues served, comma-separated (env: LONGRUN_QUEUES; default default).")
    var queues: String?

    @Option(help: "Operations run at once (env: LONGRUN_CONCURRENCY; default 2 × cores).")
    var concurrency: Int?

    @Option(help: "Lease length (env: LONGRUN_LEASE; default 30s).")
    var lease: DurationFlag?

    @Option(help: "Heartbeat interval (env: LONGRUN_HEARTBEAT; default 10s).")
    var heartbeat: DurationFlag?

    @Option(help: "Fallback poll for work not notified (env: LONGRUN_POLL_INTERVAL; default 2s).")
    var pollInterval: DurationFlag?

    @Option(help: "Time a cancelled handler gets before it is abandoned (env: LONGRUN_CANCEL_GRACE; default 10s).")
    var cancelGrace: DurationFlag?

    @Option(help: "First retry delay, doubled per attempt with jitter (env: LONGRUN_RETRY_BASE; default 1s).")
    var retryBase: DurationFlag?

    @Option(help: "Longest retry delay (env: LONGRUN_RETRY_CAP; default 10m).")
    var retryCap: DurationFlag?

    @Option(help: "How long finished operations are kept (env: LONGRUN_RETENTION; default 30d).")
    var retention: DurationFlag?

    @Option(help: "Pruning and leader election interval (env: LONGRUN_MAINTENANCE_INTERVAL; default 1m).")
    var maintenanceInterval: DurationFlag?

    @Option(help: "This worker's id, a UUID (env: LONGRUN_WORKER_ID; default a new one per start).")
    var workerID: String?

    func configuration(shutdown: ShutdownOptions) throws -> WorkerConfiguration {
        let defaults = WorkerConfiguration()
        func duration(_ flag: DurationFlag?, _ variable: String, _ fallback: Duration) throws -> Duration {
            try Setting.resolve(flag, environment: variable, default: DurationFlag(duration: fallback)).duration
        }
        let queues = try Setting.resolve(queues, environment: "LONGRUN_QUEUES", default: "default")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !queues.isEmpty, queues.allSatisfy({ (1...100).contains($0.count) }) else {
            throw ValidationError("--queues needs one or more names of 1 to 100 characters, comma-separated")
        }
        let concurrency = try Setting.resolve(
            concurrency, environment: "LONGRUN_CONCURRENCY", default: defaults.concurrency)
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 10000") }
        let lease = try duration(lease, "LONGRUN_LEASE", defaults.lease)
        let heartbeat = try duration(heartbeat, "LONGRUN_HEARTBEAT", defaults.heartbeat)
        guard heartbeat > .zero, heartbeat < lease else {
            throw ValidationError("--heartbeat must be shorter than --lease, or every lease expires between beats")
        }
        var id = UUID()
        if let text = try Setting.resolve(workerID, environment: "LONGRUN_WORKER_ID") {
            guard let parsed = UUID(uuidString: text) else { throw ValidationError("--worker-id must be a UUID") }
            id = parsed
        }
        let pollInterval = try duration(pollInterval, "LONGRUN_POLL_INTERVAL", defaults.pollInterval)
        guard pollInterval > .zero else { throw ValidationError("--poll-interval must be above zero") }
        return WorkerConfiguration(
            id: id, queues: queues, concurrency: concurrency, lease: lease, heartbeat: heartbeat,
            pollInterval: pollInterval,
            shutdownGrace: try shutdown.grace(),
            cancelGrace: try duration(cancelGrace, "LONGRUN_CANCEL_GRACE", defaults.cancelGrace),
            retry: RetryPolicy(
                base: try duration(retryBase, "LONGRUN_RETRY_BASE", defaults.retry.base),
                cap: try duration(retryCap, "LONGRUN_RETRY_CAP", defaults.retry.cap)
            )
        )
    }

    func prunePolicy() throws -> PrunePolicy {
        PrunePolicy(
            retention: try Setting.resolve(
                retention, environment: "LONGRUN_RETENTION", default: DurationFlag(duration: .seconds(30 * 86400))
            ).duration)
    }

    func resolvedMaintenanceInterval() throws -> Duration {
        let interval = try Setting.resolve(
            maintenanceInterval, environment: "LONGRUN_MAINTENANCE_INTERVAL",
            default: DurationFlag(duration: .seconds(60))
        ).duration
        guard interval > .zero else { throw ValidationError("--maintenance-interval must be above zero") }
        return interval
    }
}
