import Foundation
import LongrunCore
import PostgresNIO

extension PostgresStore {
    /// Holds a session advisory lock on a connection of its own for as long as `body`
    /// runs. PostgreSQL frees the lock when that session ends, so when the leader dies
    /// (or its connection does) the next process that asks takes over. The connection
    /// is checked every few seconds; when it fails, `body` is cancelled, because the lock
    /// went with it.
    ///
    /// The connection is opened for the purpose and closed after, never leased from the
    /// pool: closing it is what gives the lock up, and PostgresNIO 1.33 loses a query
    /// written to a connection that has just died (an unlock sent after a database
    /// restart never returned, and the worker could not stop).
    public func whileLeading(
        _ role: LeadershipRole, _ body: @escaping @Sendable () async throws -> Void
    ) async throws -> Bool {
        let key = role.advisoryLockKey
        let connection = try await url.connect(logger: logger)
        let ended: Result<Bool, any Error>
        do {
            let rows = try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).collect()
            if try rows.first?.decode(Bool.self) == true {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await body() }
                    group.addTask {
                        // Looked at every second, asked every fifth: a query is only ever
                        // written to a connection that was open a moment before.
                        for tick in 1... {
                            try await Task.sleep(for: .seconds(1))
                            guard !connection.isClosed else { throw LeadershipLost() }
                            if tick % 5 == 0 { try await connection.query("SELECT 1", logger: logger) }
                        }
                    }
                    defer { group.cancelAll() }
                    try await group.next()
                }
                ended = .success(true)
            } else {
                ended = .success(false)
            }
        } catch {
            ended = .failure(error)
        }
        try? await connection.close()
        return try ended.get()
    }

    /// One bounded batch of each kind of pruning. Deleting an operation deletes its logs,
    /// deliveries and attempts (foreign keys cascade). Call it until it reports less
    /// than a batch of everything.
    public func prune(_ policy: PrunePolicy) async throws -> PruneReport {
        let retention = policy.retention.inMilliseconds
        let operations = try await count(
            """
            WITH pruned AS (
                DELETE FROM operations WHERE id IN (
                    SELECT id FROM operations
                    WHERE finished_at < now() - \(retention) * interval '1 millisecond'
                    ORDER BY finished_at LIMIT \(policy.batchSize)
                    FOR UPDATE SKIP LOCKED)
                RETURNING 1)
            SELECT count(*) FROM pruned
            """
        )
        let keys = try await count(
            """
            WITH freed AS (
                UPDATE operations SET idempotency_key = NULL, request_fingerprint = NULL, idempotency_expires_at = NULL
                WHERE id IN (
                    SELECT id FROM operations
                    WHERE idempotency_key IS NOT NULL AND idempotency_expires_at <= now()
                    ORDER BY idempotency_expires_at LIMIT \(policy.batchSize)
                    FOR UPDATE SKIP LOCKED)
                RETURNING 1)
            SELECT count(*) FROM freed
            """
        )
        let workers = try await count(
            """
            WITH gone AS (
                DELETE FROM workers WHERE id IN (
                    SELECT id FROM workers
                    WHERE last_heartbeat_at < now() - \(retention) * interval '1 millisecond'
                    LIMIT \(policy.batchSize))
                RETURNING 1)
            SELECT count(*) FROM gone
            """
        )
        return PruneReport(operations: operations, idempotencyKeys: keys, workers: workers)
    }

    private func count(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).first?.decode(Int.self) ?? 0
    }
}

extension LeadershipRole {
    /// Next to the migrator's key (`longrun` in ASCII), one per role.
    var advisoryLockKey: Int64 {
        switch self {
        case .maintenance: Migrator.advisoryLockKey + 1
        }
    }
}

/// The leader's connection closed, and its advisory lock with it.
struct LeadershipLost: Error, CustomStringConvertible {
    var description: String { "the connection holding the leadership lock closed" }
}
