import Foundation
import Logging
import LongrunCore
import PostgresNIO

extension PostgresStore {
    /// Queues a message for the notifier; its id (the `webhook-id`) is made by the
    /// column's default, `longrun_uuidv7()`, like the ids of completion deliveries.
    @discardableResult
    public func enqueueDelivery(
        operationID: UUID, format: WebhookDelivery.Format, url: String, logID: Int64? = nil
    ) async throws -> UUID {
        let rows = try await query(
            """
            INSERT INTO webhook_deliveries (operation_id, format, url, log_id)
            VALUES (\(operationID), \(format.rawValue), \(url), \(logID))
            RETURNING id
            """
        )
        guard let id = try rows.first?.decode(UUID.self) else {
            throw LongrunError(.environment, "INSERT … RETURNING returned no row")
        }
        return id
    }

    /// Queues the webhooks a finished operation owes (see
    /// ``completionDeliveries(from:)``), inside the caller's transaction; returns how many.
    static func enqueueCompletionDeliveries(
        for id: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> Int64 {
        let rows = try await connection.query(
            """
            WITH finished AS (
                SELECT id, status, callback_url, ouro_webhook_url FROM operations WHERE id = \(id)
            ), \(unescaped: completionDeliveries(from: "finished"))
            SELECT count(*) FROM queued
            """,
            logger: logger
        ).collect()
        return try rows.first?.decode(Int64.self) ?? 0
    }

    public func retryDelivery(id: UUID, operationID: UUID) async throws -> RetryDeliveryOutcome {
        let rows = try await query(
            """
            WITH target AS (
                SELECT id, status FROM webhook_deliveries
                WHERE id = \(id) AND operation_id = \(operationID) FOR UPDATE
            ), queued AS (
                UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now(), updated_at = now()
                FROM target WHERE d.id = target.id AND target.status <> 'pending'
                RETURNING d.id
            )
            SELECT target.status, (SELECT count(*) FROM queued) FROM target
            """
        )
        guard let row = rows.first else { return .notFound }
        let (_, queued) = try row.decode((String, Int).self)
        guard queued > 0 else { return .alreadyPending }
        announce(changed: [], deliveries: [operationID])
        return .queued
    }

    /// An operation's deliveries, oldest first, each with its attempts in order.
    public func deliveries(operationID: UUID) async throws -> [WebhookDelivery] {
        var deliveries = try await query(
            """
            SELECT id, operation_id, format, url, status, next_attempt_at, created_at, log_id
            FROM webhook_deliveries WHERE operation_id = \(operationID)
            ORDER BY created_at, id
            """
        ).map(WebhookDelivery.init(row:))
        guard !deliveries.isEmpty else { return [] }

        let attemptRows = try await query(
            """
            SELECT delivery_id, n, at, response_status, response_excerpt, error, latency_ms
            FROM webhook_attempts WHERE delivery_id = ANY(\(deliveries.map(\.id)))
            ORDER BY delivery_id, n
            """
        )
        var attempts: [UUID: [DeliveryAttempt]] = [:]
        for row in attemptRows {
            let (deliveryID, number, at, status, excerpt, error, latency) = try row.decode(
                (UUID, Int, Date, Int?, String?, String?, Int).self)
            attempts[deliveryID, default: []].append(
                DeliveryAttempt(
                    number: number, at: at, responseStatus: status, responseExcerpt: excerpt, error: error,
                    latencyMilliseconds: latency
                )
            )
        }
        for index in deliveries.indices {
            deliveries[index].attempts = attempts[deliveries[index].id] ?? []
        }
        return deliveries
    }
}

extension WebhookDelivery {
    init(row: PostgresRow) throws {
        let (id, operationID, formatText, url, statusText, nextAttemptAt, createdAt, logID) = try row.decode(
            (UUID, UUID, String, String, String, Date, Date, Int64?).self
        )
        guard let format = Format(rawValue: formatText), let status = Status(rawValue: statusText) else {
            throw LongrunError(.schemaMismatch, "unknown delivery format \(formatText) or status \(statusText)")
        }
        self.init(
            id: id, operationID: operationID, format: format, url: url, status: status,
            nextAttemptAt: nextAttemptAt, createdAt: createdAt, logID: logID, attempts: []
        )
    }
}
