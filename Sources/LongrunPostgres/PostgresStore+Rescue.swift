import Foundation
import LongrunCore
import PostgresNIO

extension PostgresStore {
    /// Takes expired leases back in one statement, skipping rows another rescuer holds,
    /// so every worker can run it and none is a single point of failure. An operation
    /// with attempts left goes back to `pending` (due at once); one without fails with
    /// `worker_lost` and owes its webhooks, written in the same statement.
    public func rescueExpiredLeases(limit: Int) async throws -> RescueReport {
        let lost = OperationError(
            code: .workerLost, message: "The worker running the operation stopped and no attempts are left.")
        let rows = try await query(
            """
            WITH expired AS (
                SELECT id FROM operations
                WHERE status = 'running' AND lease_expires_at < now()
                ORDER BY lease_expires_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), rescued AS (
                UPDATE operations o
                SET status = CASE WHEN o.attempt < o.max_attempts THEN 'pending' ELSE 'failed' END,
                    error = CASE WHEN o.attempt < o.max_attempts THEN NULL ELSE \(lost) END,
                    finished_at = CASE WHEN o.attempt < o.max_attempts THEN NULL ELSE now() END,
                    run_at = now(), updated_at = now(),
                    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                FROM expired WHERE o.id = expired.id
                RETURNING o.id, o.kind, o.queue, o.status, o.callback_url, o.ouro_webhook_url, o.ouro_action_id
            ), logged AS (
                INSERT INTO operation_logs (operation_id, level, message)
                SELECT id, 'warning',
                       CASE WHEN status = 'pending'
                            THEN 'the lease expired (the worker stopped); queued for another attempt'
                            ELSE 'the lease expired (the worker stopped) and no attempts are left' END
                FROM rescued
                RETURNING id, operation_id
            ), \(unescaped: Self.completionDeliveries(from: "rescued")),
            \(unescaped: Self.ouroLogForwards(logged: "logged", operations: "rescued"))
            SELECT id, kind, queue, status,
                   id IN (SELECT operation_id FROM queued UNION ALL SELECT operation_id FROM forwarded)
            FROM rescued
            """
        )
        var report = RescueReport()
        var ids: [UUID] = []
        var queues: Set<String> = []
        var owing: [UUID] = []
        for row in rows {
            let (id, kind, queue, status, owesWebhooks) = try row.decode((UUID, String, String, String, Bool).self)
            ids.append(id)
            if status == OperationStatus.pending.rawValue {
                report.retried[kind, default: 0] += 1
                queues.insert(queue)
            } else {
                report.failed[kind, default: 0] += 1
            }
            if owesWebhooks { owing.append(id) }
        }
        announce(changed: ids, queues: queues.sorted(), deliveries: owing)
        return report
    }

    /// Fails, in one statement, up to `limit` pending operations whose deadline passed
    /// before any worker started them (the claim no longer takes them), with their
    /// webhooks. Returns how many, by kind.
    public func expireOverdue(limit: Int) async throws -> [String: Int] {
        let overdue = OperationError(
            code: .deadlineExceeded, message: "The deadline (timeout_seconds) passed before the operation started.")
        let rows = try await query(
            """
            WITH due AS (
                SELECT id FROM operations
                WHERE status = 'pending' AND deadline < now()
                ORDER BY deadline
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), expired AS (
                UPDATE operations o
                SET status = 'failed', error = \(overdue), finished_at = now(), updated_at = now()
                FROM due WHERE o.id = due.id
                RETURNING o.id, o.kind, o.status, o.callback_url, o.ouro_webhook_url
            ), \(unescaped: Self.completionDeliveries(from: "expired"))
            SELECT id, kind, id IN (SELECT operation_id FROM queued) FROM expired
            """
        )
        var kinds: [String: Int] = [:]
        var ids: [UUID] = []
        var owing: [UUID] = []
        for row in rows {
            let (id, kind, owesWebhooks) = try row.decode((UUID, String, Bool).self)
            kinds[kind, default: 0] += 1
            ids.append(id)
            if owesWebhooks { owing.append(id) }
        }
        announce(changed: ids, deliveries: owing)
        return kinds
    }
}
