import Foundation
import Logging
import LongrunCore
import PostgresNIO

extension PostgresStore {
    /// Claims up to `slots` due operations in one statement: the highest priority
    /// first, then the longest due, skipping rows other workers are claiming. Each
    /// claimed operation gets a fresh lease token and expiry, and its attempt counts up.
    public func claim(_ request: ClaimRequest) async throws -> [ClaimedOperation] {
        guard request.slots > 0, !request.queues.isEmpty, !request.kinds.isEmpty else { return [] }
        let leaseMilliseconds = Int((request.lease.inSeconds * 1000).rounded())
        return try await client.query(
            """
            WITH picked AS (
                SELECT id FROM operations
                WHERE status = 'pending' AND queue = ANY(\(request.queues)) AND kind = ANY(\(request.kinds))
                  AND run_at <= now()
                ORDER BY priority DESC, run_at, id
                LIMIT \(request.slots)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE operations o
            SET status = 'running', attempt = o.attempt + 1, started_at = coalesce(o.started_at, now()),
                updated_at = now(), lease_owner = \(request.workerID), lease_token = gen_random_uuid(),
                lease_expires_at = now() + \(leaseMilliseconds) * interval '1 millisecond'
            FROM picked WHERE o.id = picked.id
            RETURNING o.id, o.kind, o.input, o.metadata, o.attempt, o.max_attempts, o.lease_token, o.deadline,
                      o.checkpoint
            """,
            logger: logger
        ).collect().map { row in
            let (id, kind, input, metadata, attempt, maxAttempts, token, deadline, checkpoint) = try row.decode(
                (UUID, String, JSONValue, JSONValue, Int, Int, UUID, Date?, JSONValue?).self
            )
            return ClaimedOperation(
                id: id, kind: kind, input: input, metadata: metadata, attempt: attempt, maxAttempts: maxAttempts,
                leaseToken: token, deadline: deadline, checkpoint: checkpoint
            )
        }
    }

    /// Finishes a claimed operation with its result, if the lease is still the
    /// caller's: false when it was cancelled, rescued or otherwise taken meanwhile, and
    /// then nothing changes. The webhooks it owes are queued in the same transaction.
    public func complete(id: UUID, leaseToken: UUID, result: JSONValue) async throws -> Bool {
        try await finish { connection in
            try await connection.query(
                """
                UPDATE operations
                SET status = 'succeeded', result = \(result), progress = 100, finished_at = now(), updated_at = now(),
                    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                WHERE id = \(id) AND lease_token = \(leaseToken) AND status = 'running'
                RETURNING \(unescaped: Self.operationColumns)
                """,
                logger: logger
            )
        }
    }

    /// Fails a claimed operation for good, fenced like ``complete(id:leaseToken:result:)``.
    public func fail(id: UUID, leaseToken: UUID, error: OperationError) async throws -> Bool {
        try await finish { connection in
            try await connection.query(
                """
                UPDATE operations
                SET status = 'failed', error = \(error), finished_at = now(), updated_at = now(),
                    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                WHERE id = \(id) AND lease_token = \(leaseToken) AND status = 'running'
                RETURNING \(unescaped: Self.operationColumns)
                """,
                logger: logger
            )
        }
    }

    /// Runs a fenced terminal `update` and, when it took, queues the webhooks the
    /// finished operation owes in the same transaction (the outbox).
    private func finish(_ update: (PostgresConnection) async throws -> PostgresRowSequence) async throws -> Bool {
        try await withUnwrappedTransaction(client: client, logger: logger) { connection in
            guard let row = try await update(connection).collect().first else { return false }
            try await Self.enqueueCompletionDeliveries(
                for: try OperationRecord(row: row), on: connection, logger: logger)
            return true
        }
    }
}
