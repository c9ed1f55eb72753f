import Foundation
import LongrunCore
import PostgresNIO

extension PostgresStore: DeliveryStore {
    /// One statement: picks due rows with SKIP LOCKED, counts the attempt and holds the
    /// row for `hold`, and returns each with its operation, the tenant's secret and, for
    /// log forwards, the line. A log forward waits while an earlier line of its operation
    /// is still pending, so lines reach Ouro in the order written.
    public func claimDeliveries(
        limit: Int, formats: Set<WebhookDelivery.Format>, hold: Duration
    ) async throws -> [ClaimedDelivery] {
        guard limit > 0, !formats.isEmpty else { return [] }
        let claimedRows = try await rows(
            ClaimDeliveries(
                formats: formats.map(\.rawValue).sorted(), limit: limit, forwardsLogs: formats.contains(.ouroLog),
                holdMilliseconds: hold.inMilliseconds))
        // A row that cannot be read (a schema this build does not expect) would be claimed
        // again and again with the rest of every batch: it goes dead at once, and alone.
        var claimed: [ClaimedDelivery] = []
        var unreadable: [DeliveryResult] = []
        for row in claimedRows {
            do {
                claimed.append(try ClaimedDelivery(row: row))
            } catch {
                let columns = row.makeRandomAccess()
                guard let id = try? columns["delivery_id"].decode(UUID.self),
                    let attempt = try? columns["delivery_attempt"].decode(Int.self)
                else { throw error }
                logger.error(
                    "a delivery could not be read and is dead",
                    metadata: ["longrun.delivery.id": "\(id.lowercasedText)"])
                unreadable.append(
                    DeliveryResult(
                        deliveryID: id, attemptNumber: attempt, outcome: .dead,
                        attempt: DeliveryAttempt(
                            number: attempt, at: Date(), responseStatus: nil, responseExcerpt: nil,
                            error: "the delivery could not be read: \(String("\(error)".prefix(500)))",
                            latencyMilliseconds: 0)))
            }
        }
        try await settleDeliveries(unreadable)
        return claimed
    }

    /// Writes the attempts and the rows' new states; a row moves only if it still holds
    /// the attempt claimed (another notifier may have taken it over after the hold).
    public func settleDeliveries(_ results: [DeliveryResult]) async throws {
        guard !results.isEmpty else { return }
        let settle = SettleDeliveries(results: JSONValue.array(results.map(\.recordsetRow)))
        _ = try await rows(settle)
    }

    /// Counted through the two partial indexes of due rows, never by a scan of the table.
    public func deliveryBacklog(formats: Set<WebhookDelivery.Format>) async throws -> DeliveryBacklog {
        let rows = try await query(
            """
            WITH due AS (
                SELECT next_attempt_at FROM webhook_deliveries
                WHERE status = 'pending' AND format <> 'ouro_log' AND format = ANY(\(formats.map(\.rawValue)))
                  AND next_attempt_at <= now()
                UNION ALL
                SELECT next_attempt_at FROM webhook_deliveries
                WHERE \(formats.contains(.ouroLog)) AND status = 'pending' AND format = 'ouro_log'
                  AND next_attempt_at <= now()
            )
            SELECT count(*), min(next_attempt_at) FROM due
            """
        )
        guard let row = rows.first else { return DeliveryBacklog(due: 0, oldestDueSince: nil) }
        let (due, oldest) = try row.decode((Int, Date?).self)
        return DeliveryBacklog(due: due, oldestDueSince: oldest)
    }

    /// A `forwarded` CTE that queues an Ouro log forward for each line of `logged` (a CTE
    /// returning `id` and `operation_id`) whose operation, in `operations` (with `id` and
    /// `ouro_action_id`), carries an Ouro action id. Written with the line, like every
    /// outbox row, so no line is forwarded that was not written or lost that was.
    static func ouroLogForwards(logged: String, operations: String) -> String {
        """
        forwarded AS (
            INSERT INTO webhook_deliveries (operation_id, format, url, log_id)
            SELECT l.operation_id, 'ouro_log', 'actions/' || s.ouro_action_id || '/log', l.id
            FROM \(logged) l JOIN \(operations) s ON s.id = l.operation_id
            WHERE s.ouro_action_id IS NOT NULL
            ORDER BY l.id
            RETURNING operation_id
        )
        """
    }
}

/// ``PostgresStore/claimDeliveries(limit:formats:hold:)``'s statement.
struct ClaimDeliveries: BoundStatement {
    static let sql = """
        WITH completions AS (
            SELECT d.id, d.next_attempt_at FROM webhook_deliveries d
            WHERE d.status = 'pending' AND d.format <> 'ouro_log' AND d.format = ANY($1::text[])
              AND d.next_attempt_at <= now()
            ORDER BY d.next_attempt_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        ), forwards AS (
            SELECT d.id, d.next_attempt_at FROM webhook_deliveries d
            WHERE $3::boolean AND d.status = 'pending' AND d.format = 'ouro_log'
              AND d.next_attempt_at <= now()
              AND NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries e
                  WHERE e.operation_id = d.operation_id AND e.format = 'ouro_log' AND e.status = 'pending'
                    AND e.log_id < d.log_id)
            ORDER BY d.next_attempt_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        ), chosen AS (
            SELECT id FROM (SELECT * FROM completions UNION ALL SELECT * FROM forwards) due
            ORDER BY next_attempt_at LIMIT $2
        ), claimed AS (
            UPDATE webhook_deliveries d
            SET attempts = d.attempts + 1, updated_at = now(),
                next_attempt_at = now() + $4 * interval '1 millisecond'
            FROM chosen WHERE d.id = chosen.id
            RETURNING d.id, d.operation_id, d.format, d.url, d.attempts, d.log_id
        )
        SELECT c.id AS delivery_id, c.format AS delivery_format, c.url AS delivery_url,
               c.attempts AS delivery_attempt, t.webhook_secret, c.log_id, l.at AS log_at, l.level AS log_level,
               l.message AS log_message, \(operationColumns)
        FROM claimed c
        JOIN operations o ON o.id = c.operation_id
        JOIN tenants t ON t.id = o.tenant_id
        LEFT JOIN operation_logs l ON l.operation_id = c.operation_id AND l.id = c.log_id
        """
    /// The operation's columns, read from `o`.
    private static let operationColumns = PostgresStore.operationColumns.split(separator: ",")
        .map { "o." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")
    /// Read by ``ClaimedDelivery/init(row:)`` in the store, which sends an unreadable row
    /// to the dead letters alone rather than failing the batch.
    typealias Row = PostgresRow

    var formats: [String]
    var limit: Int
    var forwardsLogs: Bool
    var holdMilliseconds: Int64

    var binds: [any PostgresThrowingDynamicTypeEncodable] { [formats, limit, forwardsLogs, holdMilliseconds] }

    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

/// ``PostgresStore/settleDeliveries(_:)``'s statement: `$1` is a JSON array of results.
struct SettleDeliveries: BoundStatement {
    static let sql = """
        WITH result AS (
            SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
                id uuid, n integer, status text, delay_ms bigint, refund integer, at float8,
                response_status integer, response_excerpt text, error text, latency_ms integer)
        ), recorded AS (
            INSERT INTO webhook_attempts (delivery_id, n, at, response_status, response_excerpt, error, latency_ms)
            SELECT r.id, r.n, to_timestamp(r.at), r.response_status, r.response_excerpt, r.error, r.latency_ms
            FROM result r JOIN webhook_deliveries d ON d.id = r.id
            WHERE r.latency_ms IS NOT NULL
            ON CONFLICT DO NOTHING
        )
        UPDATE webhook_deliveries d
        SET status = r.status, attempts = d.attempts - r.refund, updated_at = now(),
            next_attempt_at = now() + r.delay_ms * interval '1 millisecond'
        FROM result r
        WHERE d.id = r.id AND d.attempts = r.n AND d.status = 'pending'
        """
    typealias Row = ()

    var results: JSONValue
    var binds: [any PostgresThrowingDynamicTypeEncodable] { [results] }

    func decodeRow(_ row: PostgresRow) {}
}

extension DeliveryResult {
    /// This result as a row of the `jsonb_to_recordset` in ``PostgresStore/settleDeliveries(_:)``.
    fileprivate var recordsetRow: JSONValue {
        var row: [String: JSONValue] = [
            "id": .string(deliveryID.lowercasedText), "n": .integer(Int64(attemptNumber)), "delay_ms": .integer(0),
            "refund": .integer(0),
        ]
        switch outcome {
        case .delivered: row["status"] = .string(WebhookDelivery.Status.delivered.rawValue)
        case .dead: row["status"] = .string(WebhookDelivery.Status.dead.rawValue)
        case .stopped: row["status"] = .string(WebhookDelivery.Status.stopped.rawValue)
        case .retry(let delay):
            row["status"] = .string(WebhookDelivery.Status.pending.rawValue)
            row["delay_ms"] = .integer(delay.inMilliseconds)
        case .released:
            row["status"] = .string(WebhookDelivery.Status.pending.rawValue)
            row["refund"] = .integer(1)
        }
        if let attempt {
            row["at"] = .number(attempt.at.timeIntervalSince1970)
            row["latency_ms"] = .integer(Int64(attempt.latencyMilliseconds))
            row["response_status"] = attempt.responseStatus.map { .integer(Int64($0)) } ?? .null
            row["response_excerpt"] = attempt.responseExcerpt.map(JSONValue.string) ?? .null
            row["error"] = attempt.error.map(JSONValue.string) ?? .null
        }
        return .object(row)
    }
}

extension ClaimedDelivery {
    init(row: PostgresRow) throws {
        let columns = row.makeRandomAccess()
        let formatText = try columns["delivery_format"].decode(String.self)
        guard let format = WebhookDelivery.Format(rawValue: formatText) else {
            throw LongrunError(.schemaMismatch, "unknown delivery format \(formatText)")
        }
        let secretText = try columns["webhook_secret"].decode(String.self)
        guard let secret = WebhookSecret(secretText) else {
            throw LongrunError(.schemaMismatch, "a tenant's webhook secret is not in the whsec_ form")
        }
        let operation = try OperationRecord(row: row)
        var log: OperationLogEntry?
        if let logID = try columns["log_id"].decode(Int64?.self), let at = try columns["log_at"].decode(Date?.self),
            let message = try columns["log_message"].decode(String?.self),
            let level = OperationLogEntry.Level(rawValue: try columns["log_level"].decode(String.self))
        {
            log = OperationLogEntry(id: logID, operationID: operation.id, at: at, level: level, message: message)
        }
        self.init(
            id: try columns["delivery_id"].decode(UUID.self), format: format,
            url: try columns["delivery_url"].decode(String.self),
            attempt: try columns["delivery_attempt"].decode(Int.self), operation: operation, secret: secret, log: log)
    }
}
