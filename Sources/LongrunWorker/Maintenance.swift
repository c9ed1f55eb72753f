import Logging
import LongrunCore
import ServiceLifecycle

/// Cluster-wide housekeeping that one process at a time should do: pruning what the
/// retention period no longer keeps. Every worker runs this service; one wins the
/// election (a PostgreSQL advisory lock) and works, the others ask again every
/// interval, so when the leader dies another takes over within an interval.
public struct Maintenance: Service {
    let store: any WorkerStore
    let policy: PrunePolicy
    let interval: Duration
    let logger: Logger

    public init(store: any WorkerStore, policy: PrunePolicy, interval: Duration = .seconds(60), logger: Logger) {
        self.store = store
        self.policy = policy
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await store.whileLeading(.maintenance) {
                        logger.info("this process is the maintenance leader")
                        while true {
                            try await pruneAll()
                            try await Task.sleep(for: interval)
                        }
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning(
                        "maintenance failed; trying again", metadata: ["longrun.error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Prunes batch by batch until less than a batch of anything is left.
    func pruneAll() async throws {
        var total = PruneReport()
        while true {
            let pass = try await store.prune(policy)
            total.operations += pass.operations
            total.idempotencyKeys += pass.idempotencyKeys
            total.workers += pass.workers
            if max(pass.operations, pass.idempotencyKeys, pass.workers) < policy.batchSize { break }
            try Task.checkCancellation()
        }
        if total != PruneReport() {
            logger.info(
                "pruned",
                metadata: [
                    "longrun.operations": "\(total.operations)", "longrun.idempotency_keys": "\(total.idempotencyKeys)",
                    "longrun.workers": "\(total.workers)",
                ]
            )
        }
    }
}
