import Foundation

/// What a worker asks of the database, in domain words. Every write after a claim names
/// the lease token it holds, so a worker that lost its lease (paused, partitioned,
/// rescued, cancelled) changes nothing.
public protocol WorkerStore: SchemaReadiness, NotificationSource {
    /// Announces a worker process; a restarted process with the same id takes its row over.
    func registerWorker(_ worker: WorkerRecord) async throws

    /// Claims up to `request.slots` due operations in one statement.
    func claim(_ request: ClaimRequest) async throws -> [ClaimedOperation]

    /// Extends, in one statement, every lease in `leaseTokens` that `workerID` still holds
    /// and records that the worker is alive. Returns the tokens still held: any other
    /// token sent was lost (cancelled, rescued) and its handler should stop. A lease whose
    /// row is being written at that moment may be extended only by the next beat.
    func heartbeat(workerID: UUID, leaseTokens: [UUID], lease: Duration) async throws -> Set<UUID>

    /// Writes coalesced progress, log lines and checkpoints of many operations at once,
    /// each only if its lease still holds. Returns the lease tokens that no longer hold.
    func record(_ reports: [ProgressReport]) async throws -> Set<UUID>

    /// Takes operations out of `running` as each departure says, in one statement for
    /// the whole batch, each only if its lease still holds. Returns the ids that took;
    /// the others were cancelled or rescued meanwhile, and nothing changed for them.
    func leave(_ departures: [Departure]) async throws -> Set<UUID>

    /// Returns up to `limit` operations whose lease expired to `pending`, or fails them
    /// with `worker_lost` when their attempts are spent. Safe to run from every worker.
    func rescueExpiredLeases(limit: Int) async throws -> RescueReport

    /// Fails up to `limit` pending operations whose deadline passed before any start
    /// (`deadline_exceeded`); returns how many, by kind. Safe to run from every worker.
    func expireOverdue(limit: Int) async throws -> [String: Int]

    /// Runs `body` while this process holds `role`'s leadership across the cluster; returns
    /// false at once when another process holds it. Leadership ends with `body`, or when
    /// the process dies or loses its connection (and `body` is then cancelled).
    func whileLeading(_ role: LeadershipRole, _ body: @escaping @Sendable () async throws -> Void) async throws -> Bool

    /// Deletes, in bounded batches, what the retention period no longer keeps.
    func prune(_ policy: PrunePolicy) async throws -> PruneReport

}

/// How a worker gives up the lease of one operation.
public struct Departure: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// Finished with this result.
        case succeeded(JSONValue)
        /// Failed for good.
        case failed(OperationError)
        /// Back to `pending`, due after `delay`; `reason` goes to the log.
        case retry(reason: String, delay: Duration)
        /// Given back untouched (shutdown): due at once, and the attempt does not count.
        case release
    }

    public var id: UUID
    public var leaseToken: UUID
    public var outcome: Outcome

    public init(id: UUID, leaseToken: UUID, outcome: Outcome) {
        self.id = id
        self.leaseToken = leaseToken
        self.outcome = outcome
    }
}

extension WorkerStore {
    /// Finishes with a result; false when the lease no longer holds.
    public func complete(id: UUID, leaseToken: UUID, result: JSONValue) async throws -> Bool {
        try await leave([Departure(id: id, leaseToken: leaseToken, outcome: .succeeded(result))]).contains(id)
    }

    /// Fails for good; false when the lease no longer holds.
    public func fail(id: UUID, leaseToken: UUID, error: OperationError) async throws -> Bool {
        try await leave([Departure(id: id, leaseToken: leaseToken, outcome: .failed(error))]).contains(id)
    }

    /// Back to `pending` after `delay`, logging `reason`; false when the lease no longer holds.
    public func retry(id: UUID, leaseToken: UUID, reason: String, after delay: Duration) async throws -> Bool {
        try await leave([Departure(id: id, leaseToken: leaseToken, outcome: .retry(reason: reason, delay: delay))])
            .contains(id)
    }

    /// Gives the operation back untouched; false when the lease no longer holds.
    public func release(id: UUID, leaseToken: UUID) async throws -> Bool {
        try await leave([Departure(id: id, leaseToken: leaseToken, outcome: .release)]).contains(id)
    }
}

/// Progress, log lines and a checkpoint reported by one run since the last write.
public struct ProgressReport: Sendable, Hashable {
    public var operationID: UUID
    public var leaseToken: UUID
    public var progress: Int?
    public var message: String?
    public var estimatedCompletion: Date?
    public var checkpoint: JSONValue?
    /// In the order written.
    public var logs: [LogLine]

    public struct LogLine: Sendable, Hashable {
        public var level: OperationLogEntry.Level
        public var message: String

        public init(_ level: OperationLogEntry.Level, _ message: String) {
            self.level = level
            self.message = message
        }
    }

    public init(
        operationID: UUID, leaseToken: UUID, progress: Int? = nil, message: String? = nil,
        estimatedCompletion: Date? = nil, checkpoint: JSONValue? = nil, logs: [LogLine] = []
    ) {
        self.operationID = operationID
        self.leaseToken = leaseToken
        self.progress = progress
        self.message = message
        self.estimatedCompletion = estimatedCompletion
        self.checkpoint = checkpoint
        self.logs = logs
    }
}

/// What a rescue pass did, by kind, for the metrics.
public struct RescueReport: Sendable, Hashable {
    /// Returned to `pending` for another attempt.
    public var retried: [String: Int]
    /// Failed with `worker_lost`: no attempts left.
    public var failed: [String: Int]

    public init(retried: [String: Int] = [:], failed: [String: Int] = [:]) {
        self.retried = retried
        self.failed = failed
    }

    public var total: Int { retried.values.reduce(0, +) + failed.values.reduce(0, +) }
}

/// Work one process does for the whole cluster.
public enum LeadershipRole: String, Sendable, Hashable {
    /// Pruning of finished operations and expired idempotency keys.
    case maintenance
}

/// What pruning keeps.
public struct PrunePolicy: Sendable, Hashable {
    /// Finished operations (with their logs and deliveries) older than this go.
    public var retention: Duration
    /// Rows per statement, so pruning never holds long locks or bloats one transaction.
    public var batchSize: Int

    public init(retention: Duration, batchSize: Int = 1000) {
        self.retention = retention
        self.batchSize = batchSize
    }
}

/// What one pruning pass removed.
public struct PruneReport: Sendable, Hashable {
    public var operations: Int
    public var idempotencyKeys: Int
    public var workers: Int

    public init(operations: Int = 0, idempotencyKeys: Int = 0, workers: Int = 0) {
        self.operations = operations
        self.idempotencyKeys = idempotencyKeys
        self.workers = workers
    }
}
