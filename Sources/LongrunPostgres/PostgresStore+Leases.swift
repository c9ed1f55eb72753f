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
        let claimed = try await rows(ClaimOperations(request: request))
        // Now running: waiters and event streams hear of it.
        announce(changed: claimed.map(\.id))
        return claimed
    }

    public func heartbeat(workerID: UUID, leaseTokens: [UUID], lease: Duration) async throws -> Set<UUID> {
        let beat = Heartbeat(workerID: workerID, leaseTokens: leaseTokens, leaseMilliseconds: lease.inMilliseconds)
        return Set(try await rows(beat))
    }

    /// One statement for any number of reports: the operations whose lease still holds
    /// take the new values and their log lines, in order; the others take nothing.
    public func record(_ reports: [ProgressReport]) async throws -> Set<UUID> {
        guard !reports.isEmpty else { return [] }
        var logRows: [JSONValue] = []
        for report in reports {
            for line in report.logs {
                logRows.append(
                    .object([
                        "id": .string(report.operationID.lowercasedText), "level": .string(line.level.rawValue),
                        "message": .string(line.message), "n": .integer(Int64(logRows.count)),
                    ])
                )
            }
        }
        let held = try await rows(
            RecordProgress(reports: JSONValue.array(reports.map(\.recordsetRow)), logs: JSONValue.array(logRows)))
        announce(changed: reports.map(\.operationID), deliveries: held.filter { $0.2 }.map { $0.0 })
        return Set(reports.map(\.leaseToken)).subtracting(held.map { $0.1 })
    }

    /// Every way out of `running`, for a whole batch, in one statement: the new states,
    /// their log lines, and the webhooks finished operations owe (the outbox), so one
    /// round trip and one commit make the changes and nothing can record them half.
    public func leave(_ departures: [Departure]) async throws -> Set<UUID> {
        guard !departures.isEmpty else { return [] }
        let batch = JSONValue.array(try departures.map { try $0.recordsetRow() })
        let written = try await rows(LeaveRunning(departures: batch))
        var left: Set<UUID> = []
        var dueQueues: Set<String> = []
        var owing: [UUID] = []
        for (id, queue, dueAgain, owesWebhooks) in written {
            left.insert(id)
            if dueAgain { dueQueues.insert(queue) }
            if owesWebhooks { owing.append(id) }
        }
        announce(changed: Array(left), queues: dueQueues.sorted(), deliveries: owing)
        return left
    }

    /// A `queued` CTE that writes the webhooks owed by the terminal rows of `source` (a
    /// CTE or table with `id`, `status`, `callback_url` and `ouro_webhook_url`): one to
    /// `callback_url` in the Standard Webhooks format, one to `ouro-webhook-url` in
    /// Ouro's. Every terminal transition writes it in its own statement or transaction:
    /// the outbox makes the webhook as certain as the change it reports.
    static func completionDeliveries(from source: String) -> String {
        """
        queued AS (
            INSERT INTO webhook_deliveries (operation_id, format, url)
            SELECT id, 'standard', callback_url FROM \(source)
            WHERE status IN ('succeeded', 'failed', 'cancelled') AND callback_url IS NOT NULL
            UNION ALL
            SELECT id, 'ouro', ouro_webhook_url FROM \(source)
            WHERE status IN ('succeeded', 'failed', 'cancelled') AND ouro_webhook_url IS NOT NULL
            RETURNING operation_id
        )
        """
    }

    /// Wakes, after the commit, whoever waits on these changes.
    func announce(changed: [UUID], queues: [String] = [], deliveries: [UUID] = []) {
        if !changed.isEmpty { publisher.announce(changed.map(\.lowercasedText), on: .changed) }
        if !queues.isEmpty { publisher.announce(queues, on: .work) }
        if !deliveries.isEmpty { publisher.announce(deliveries.map(\.lowercasedText), on: .deliveries) }
    }
}

extension Departure {
    /// This departure as a row of the `jsonb_to_recordset` in ``PostgresStore/leave(_:)``.
    /// The status it moves to comes from ``OperationLifecycle``, the one table of legal
    /// moves. The result travels wrapped (`{"value": …}`) so a JSON `null` result stays
    /// a value.
    fileprivate func recordsetRow() throws -> JSONValue {
        var row: [String: JSONValue] = [
            "id": .string(id.lowercasedText), "token": .string(leaseToken.lowercasedText), "delay_ms": .integer(0),
            "refund": .integer(0),
        ]
        let event: OperationLifecycle.Event
        var log: ProgressReport.LogLine?
        switch outcome {
        case .succeeded(let result):
            event = .succeed
            row["result"] = .object(["value": result])
        case .failed(let error):
            event = .fail
            row["error"] = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(error))
            log = .init(.error, error.message)
        case .retry(let reason, let delay):
            event = .retry
            row["delay_ms"] = .integer(delay.inMilliseconds)
            log = .init(.warning, "\(reason) (attempt failed; retrying in \(DurationText.format(delay)))")
        case .release:
            event = .release
            row["refund"] = .integer(1)
            log = .init(.info, "released by a worker shutting down; it will resume from its checkpoint")
        }
        row["status"] = .string(try OperationLifecycle.apply(event, to: .running).rawValue)
        if let log {
            row["log_level"] = .string(log.level.rawValue)
            row["log_message"] = .string(log.message)
        }
        return .object(row)
    }
}

extension ProgressReport {
    /// This report as a row of the `jsonb_to_recordset` in ``PostgresStore/record(_:)``.
    fileprivate var recordsetRow: JSONValue {
        var row: [String: JSONValue] = [
            "id": .string(operationID.lowercasedText), "token": .string(leaseToken.lowercasedText),
        ]
        if let progress { row["progress"] = .integer(Int64(progress)) }
        if let message { row["message"] = .string(message) }
        if let estimatedCompletion { row["estimate"] = .number(estimatedCompletion.timeIntervalSince1970) }
        if let checkpoint { row["checkpoint"] = checkpoint }
        return .object(row)
    }
}

/// ``PostgresStore/claim(_:)``'s statement. Per queue, so each scan is an equality on
/// the claim index's first column and reads rows in claim order: `queue = ANY(…)` would
/// make PostgreSQL sort every pending row of those queues on every claim.
struct ClaimOperations: BoundStatement {
    static let sql = """
        WITH picked AS (
            SELECT candidate.id FROM unnest($1::text[]) AS q(name)
            CROSS JOIN LATERAL (
                SELECT id, priority, run_at FROM operations
                WHERE status = 'pending' AND queue = q.name AND kind = ANY($2::text[])
                  AND run_at <= now() AND (deadline IS NULL OR deadline > now())
                ORDER BY priority DESC, run_at, id
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            ) AS candidate
            ORDER BY candidate.priority DESC, candidate.run_at, candidate.id
            LIMIT $3
        )
        UPDATE operations o
        SET status = 'running', attempt = o.attempt + 1, started_at = coalesce(o.started_at, now()),
            updated_at = now(), lease_owner = $4, lease_token = gen_random_uuid(),
            lease_expires_at = now() + $5 * interval '1 millisecond'
        FROM picked WHERE o.id = picked.id
        RETURNING o.id, o.kind, o.input, o.metadata, o.attempt, o.max_attempts, o.lease_token, o.deadline,
                  o.checkpoint
        """
    typealias Row = ClaimedOperation

    var request: ClaimRequest

    var binds: [any PostgresThrowingDynamicTypeEncodable] {
        [request.queues, request.kinds, request.slots, request.workerID, request.lease.inMilliseconds]
    }

    func decodeRow(_ row: PostgresRow) throws -> ClaimedOperation {
        let (id, kind, input, metadata, attempt, maxAttempts, token, deadline, checkpoint) = try row.decode(
            (UUID, String, JSONValue, JSONValue, Int, Int, UUID, Date?, JSONValue?).self
        )
        return ClaimedOperation(
            id: id, kind: kind, input: input, metadata: metadata, attempt: attempt, maxAttempts: maxAttempts,
            leaseToken: token, deadline: deadline, checkpoint: checkpoint
        )
    }
}

/// ``PostgresStore/heartbeat(workerID:leaseTokens:lease:)``'s statement: extends the
/// leases still held and answers their tokens.
///
/// It waits on no row lock. A row another statement has locked (the worker's own batch of
/// endings or progress, a cancel) keeps its lease until the next beat and counts as held
/// if the row, as it was before that statement, is. Waiting there deadlocked: a batch
/// ending and a heartbeat of one worker lock the same rows, each in an order of its own.
struct Heartbeat: BoundStatement {
    static let sql = """
        WITH beat AS (
            UPDATE workers SET last_heartbeat_at = now() WHERE id = $1
        ), extended AS (
            UPDATE operations
            SET lease_expires_at = now() + $3 * interval '1 millisecond'
            WHERE id IN (
                SELECT id FROM operations
                WHERE lease_owner = $1 AND lease_token = ANY($2::uuid[]) AND status = 'running'
                FOR NO KEY UPDATE SKIP LOCKED
            )
        )
        SELECT lease_token FROM operations
        WHERE lease_owner = $1 AND lease_token = ANY($2::uuid[]) AND status = 'running'
        """
    typealias Row = UUID

    var workerID: UUID
    var leaseTokens: [UUID]
    var leaseMilliseconds: Int64

    var binds: [any PostgresThrowingDynamicTypeEncodable] { [workerID, leaseTokens, leaseMilliseconds] }

    func decodeRow(_ row: PostgresRow) throws -> UUID { try row.decode(UUID.self) }
}

/// ``PostgresStore/record(_:)``'s statement: `$1` holds the reports, `$2` their log lines.
struct RecordProgress: BoundStatement {
    static let sql = """
        WITH report AS (
            SELECT * FROM jsonb_to_recordset($1::jsonb)
                AS r(id uuid, token uuid, progress smallint, message text, estimate float8, checkpoint jsonb)
        ), updated AS (
            UPDATE operations o
            SET progress = coalesce(r.progress, o.progress), message = coalesce(r.message, o.message),
                estimated_completion = coalesce(to_timestamp(r.estimate), o.estimated_completion),
                checkpoint = coalesce(r.checkpoint, o.checkpoint), updated_at = now()
            FROM report r
            WHERE o.id = r.id AND o.lease_token = r.token AND o.status = 'running'
            RETURNING o.id, o.lease_token, o.ouro_action_id
        ), logged AS (
            INSERT INTO operation_logs (operation_id, level, message)
            SELECT l.id, l.level, l.message
            FROM jsonb_to_recordset($2::jsonb) AS l(id uuid, level text, message text, n integer)
            WHERE l.id IN (SELECT id FROM updated)
            ORDER BY l.n
            RETURNING id, operation_id
        ), \(PostgresStore.ouroLogForwards(logged: "logged", operations: "updated"))
        SELECT id, lease_token, id IN (SELECT operation_id FROM forwarded) FROM updated
        """
    typealias Row = (UUID, UUID, Bool)

    var reports: JSONValue
    var logs: JSONValue

    var binds: [any PostgresThrowingDynamicTypeEncodable] { [reports, logs] }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// ``PostgresStore/leave(_:)``'s statement: `$1` is a JSON array of departures.
struct LeaveRunning: BoundStatement {
    static let sql = """
        WITH departure AS (
            SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(
                id uuid, token uuid, status text, result jsonb, error jsonb, delay_ms bigint, refund integer,
                log_level text, log_message text)
        ), finished AS (
            UPDATE operations o
            SET status = d.status, result = d.result -> 'value', error = d.error,
                progress = CASE WHEN d.status = 'succeeded' THEN 100 ELSE o.progress END,
                finished_at = CASE WHEN d.status = 'pending' THEN NULL ELSE now() END,
                run_at = CASE WHEN d.status = 'pending'
                              THEN now() + d.delay_ms * interval '1 millisecond' ELSE o.run_at END,
                attempt = o.attempt - d.refund, updated_at = now(),
                lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            FROM departure d
            WHERE o.id = d.id AND o.lease_token = d.token AND o.status = 'running'
            RETURNING o.id, o.queue, o.status, o.callback_url, o.ouro_webhook_url, o.ouro_action_id, d.delay_ms,
                      d.log_level, d.log_message
        ), logged AS (
            INSERT INTO operation_logs (operation_id, level, message)
            SELECT id, log_level, log_message FROM finished WHERE log_message IS NOT NULL
            RETURNING id, operation_id
        ), \(PostgresStore.completionDeliveries(from: "finished")),
        \(PostgresStore.ouroLogForwards(logged: "logged", operations: "finished"))
        SELECT id, queue, status = 'pending' AND delay_ms = 0,
               id IN (SELECT operation_id FROM queued UNION ALL SELECT operation_id FROM forwarded)
        FROM finished
        """
    typealias Row = (UUID, String, Bool, Bool)

    var departures: JSONValue
    var binds: [any PostgresThrowingDynamicTypeEncodable] { [departures] }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
