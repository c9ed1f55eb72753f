import Foundation
import Logging
import LongrunCore
import PostgresNIO

extension PostgresStore {
    /// The columns every operation query returns, in the order `OperationRecord(row:)` reads.
    static let operationColumns = """
        id, tenant_id, kind, queue, priority, status, input, metadata, result, error, progress, message,
        attempt, max_attempts, created_at, updated_at, started_at, finished_at, estimated_completion, run_at,
        deadline, callback_url, ouro_webhook_url, ouro_webhook_token, ouro_action_id, ouro_route_id,
        ouro_route_org_id, ouro_route_team_id, lease_owner, lease_token, lease_expires_at, checkpoint,
        idempotency_key, request_fingerprint, idempotency_expires_at
        """

    /// Creates go out in batches (``CreateBatcher``): concurrent requests share one
    /// statement and one commit.
    public func createOperation(_ new: NewOperation) async throws -> CreateOutcome {
        let outcome = try await creates.create(new, write: writeCreates)
        if case .created(let operation) = outcome {
            publisher.announce([operation.queue], on: .work)
        }
        return outcome
    }

    /// One batch of creates: one insert for all, then, for each request whose
    /// `Idempotency-Key` was taken, the transaction that compares it with the earlier one.
    @Sendable private func writeCreates(_ batch: [NewOperation]) async -> [Result<CreateOutcome, any Error>] {
        let inserted: [UUID: OperationRecord]
        do {
            let logger = logger
            inserted = try await withConnection { connection in
                try await Self.insertOperations(batch, on: connection, logger: logger)
            }
        } catch  where batch.count > 1 && !isUnavailable(error) {
            // A row the database refuses must not fail the rest: each goes alone.
            var results: [Result<CreateOutcome, any Error>] = []
            for new in batch { results += await writeCreates([new]) }
            return results
        } catch {
            return batch.map { _ in .failure(error) }
        }
        var results: [Result<CreateOutcome, any Error>] = []
        for new in batch {
            if let created = inserted[new.id] {
                results.append(.success(.created(created)))
            } else if let idempotency = new.idempotency {
                do {
                    // Bounded like the insert (a transaction of the store): a hung one
                    // here would hold the node's writing turn, and every create behind it.
                    results.append(.success(try await create(new, idempotency: idempotency)))
                } catch {
                    results.append(.failure(error))
                }
            } else {
                results.append(.failure(LongrunError(.environment, "an insert without an idempotency key did nothing")))
            }
        }
        return results
    }

    /// The create of a request with an `Idempotency-Key`: one transaction that frees
    /// an expired key, inserts unless the key is live, and otherwise compares the
    /// request with the one that made the key's operation.
    private func create(_ new: NewOperation, idempotency: IdempotencyRecord) async throws -> CreateOutcome {
        try await withTransaction { connection in
            try await connection.query(
                """
                UPDATE operations
                SET idempotency_key = NULL, request_fingerprint = NULL, idempotency_expires_at = NULL
                WHERE tenant_id = \(new.tenantID) AND idempotency_key = \(idempotency.key)
                  AND idempotency_expires_at <= now()
                """,
                logger: logger
            )
            if let created = try await Self.insertOperations([new], on: connection, logger: logger)[new.id] {
                return CreateOutcome.created(created)
            }
            // The key is live; a racing request with it has committed by now (the
            // insert waited for it), so its operation is there to compare with.
            guard
                let earlier = try await connection.query(
                    """
                    SELECT \(unescaped: Self.operationColumns) FROM operations
                    WHERE tenant_id = \(new.tenantID) AND idempotency_key = \(idempotency.key)
                    """,
                    logger: logger
                ).collect().first.map(OperationRecord.init(row:))
            else { throw LongrunError(.environment, "an insert did nothing, yet no operation holds its key") }
            return earlier.idempotency?.fingerprint == idempotency.fingerprint
                ? .replayed(earlier) : .keyReusedForAnotherRequest
        }
    }

    /// Inserts operations in one statement; those whose idempotency key is taken are
    /// left out of the answer.
    static func insertOperations(
        _ batch: [NewOperation], on connection: PostgresConnection, logger: Logger
    )
        async throws -> [UUID: OperationRecord]
    {
        let inserted = try await connection.execute(InsertOperations(batch: batch), logger: logger).allRows()
        return Dictionary(inserted.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The operation with `id` if it belongs to `tenantID`; another tenant's is nil,
    /// exactly like a missing one.
    public func operation(id: UUID, tenantID: Int64) async throws -> OperationRecord? {
        try await rows(ReadOperation(id: id, tenantID: tenantID)).first
    }

    public func operations(tenantID: Int64, matching query: OperationQuery) async throws -> [OperationRecord] {
        try await self.query(
            """
            SELECT \(unescaped: Self.operationColumns) FROM operations
            WHERE tenant_id = \(tenantID)
              AND (\(query.status?.rawValue)::text IS NULL OR status = \(query.status?.rawValue))
              AND (\(query.kind)::text IS NULL OR kind = \(query.kind))
              AND (\(query.before)::uuid IS NULL OR id < \(query.before))
            ORDER BY id DESC
            LIMIT \(query.limit)
            """
        ).map(OperationRecord.init(row:))
    }

    /// Cancels a pending or running operation. The row lock taken first orders this
    /// against a worker's completion: whichever commits first wins. A running
    /// operation's worker hears of it through a NOTIFY sent in this transaction (or, when
    /// the store polls, from its next heartbeat).
    public func cancelOperation(id: UUID, tenantID: Int64) async throws -> CancelOutcome {
        let (outcome, deliveries) = try await withTransaction {
            connection -> (CancelOutcome, Int64) in
            let current = try await Self.lockStatus(id: id, tenantID: tenantID, on: connection, logger: logger)
            guard let current else { return (.notFound, 0) }
            guard !current.isTerminal else { return (.alreadyFinished(current), 0) }

            let error = OperationError(code: .cancelled, message: "The operation was cancelled by a client.")
            guard
                let cancelled = try await connection.query(
                    """
                    UPDATE operations
                    SET status = 'cancelled', error = \(error), finished_at = now(), updated_at = now(),
                        lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                    WHERE id = \(id)
                    RETURNING \(unescaped: Self.operationColumns)
                    """,
                    logger: logger
                ).collect().first.map(OperationRecord.init(row:))
            else { throw LongrunError(.environment, "a locked operation vanished") }
            if current == .running, notifications == .listen {
                try await connection.query(
                    "SELECT pg_notify(\(NotificationChannel.cancel.rawValue), \(id.lowercasedText))",
                    logger: logger
                )
            }
            let deliveries = try await Self.enqueueCompletionDeliveries(for: id, on: connection, logger: logger)
            return (.cancelled(cancelled), deliveries)
        }
        if case .cancelled = outcome { announce(changed: [id], deliveries: deliveries > 0 ? [id] : []) }
        return outcome
    }

    /// Locks a tenant's operation for the rest of the transaction and returns its status;
    /// nil when the tenant has no such operation.
    static func lockStatus(
        id: UUID, tenantID: Int64, on connection: PostgresConnection, logger: Logger
    )
        async throws -> OperationStatus?
    {
        try await connection.query(
            "SELECT status FROM operations WHERE id = \(id) AND tenant_id = \(tenantID) FOR UPDATE",
            logger: logger
        ).collect().first.map { try $0.decode(String.self) }.flatMap(OperationStatus.init(rawValue:))
    }

    /// Deletes a finished operation with its logs and deliveries.
    public func deleteOperation(id: UUID, tenantID: Int64) async throws -> DeleteOutcome {
        try await withTransaction { connection in
            let current = try await Self.lockStatus(id: id, tenantID: tenantID, on: connection, logger: logger)
            guard let current else { return DeleteOutcome.notFound }
            guard current.isTerminal else { return .notFinished(current) }
            try await connection.query("DELETE FROM operations WHERE id = \(id)", logger: logger)
            return .deleted
        }
    }
}

extension OperationRecord {
    init(row: PostgresRow) throws {
        let columns = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
            try columns[name].decode(T.self)
        }
        let statusText: String = try value("status")
        guard let status = OperationStatus(rawValue: statusText) else {
            throw LongrunError(.schemaMismatch, "unknown operation status \(statusText)")
        }
        let leaseOwner: UUID? = try value("lease_owner")
        let leaseToken: UUID? = try value("lease_token")
        let leaseExpiresAt: Date? = try value("lease_expires_at")
        let idempotencyKey: String? = try value("idempotency_key")
        let fingerprint: Data? = try value("request_fingerprint")
        let idempotencyExpiresAt: Date? = try value("idempotency_expires_at")

        self.init(
            id: try value("id"),
            tenantID: try value("tenant_id"),
            kind: try value("kind"),
            queue: try value("queue"),
            priority: try value("priority"),
            status: status,
            input: try value("input"),
            metadata: try value("metadata"),
            result: try value("result"),
            error: try value("error"),
            progress: try value("progress"),
            message: try value("message"),
            attempt: try value("attempt"),
            maxAttempts: try value("max_attempts"),
            createdAt: try value("created_at"),
            updatedAt: try value("updated_at"),
            startedAt: try value("started_at"),
            finishedAt: try value("finished_at"),
            estimatedCompletion: try value("estimated_completion"),
            runAt: try value("run_at"),
            deadline: try value("deadline"),
            callbackURL: try value("callback_url"),
            ouro: OuroContext(
                webhookURL: try value("ouro_webhook_url"),
                webhookToken: try value("ouro_webhook_token"),
                actionID: try value("ouro_action_id"),
                routeID: try value("ouro_route_id"),
                routeOrgID: try value("ouro_route_org_id"),
                routeTeamID: try value("ouro_route_team_id")
            ),
            lease: zip3(leaseOwner, leaseToken, leaseExpiresAt).map(Lease.init),
            checkpoint: try value("checkpoint"),
            idempotency: zip3(idempotencyKey, fingerprint.map { [UInt8]($0) }, idempotencyExpiresAt)
                .map(IdempotencyRecord.init)
        )
    }
}

/// ``PostgresStore/operation(id:tenantID:)``'s statement: what every poll of a client reads.
struct ReadOperation: BoundStatement {
    static let sql = "SELECT \(PostgresStore.operationColumns) FROM operations WHERE id = $1 AND tenant_id = $2"
    typealias Row = OperationRecord

    var id: UUID
    var tenantID: Int64

    var binds: [any PostgresThrowingDynamicTypeEncodable] { [id, tenantID] }

    func decodeRow(_ row: PostgresRow) throws -> OperationRecord { try OperationRecord(row: row) }
}

/// ``PostgresStore/insertOperations(_:on:logger:)``'s statement: `$1` is a JSON array
/// of ``NewOperation/recordsetRow(position:)``.
struct InsertOperations: BoundStatement {
    static let sql = """
        INSERT INTO operations (
            id, tenant_id, kind, input, metadata, queue, priority, max_attempts, deadline, callback_url,
            ouro_webhook_url, ouro_webhook_token, ouro_action_id, ouro_route_id, ouro_route_org_id,
            ouro_route_team_id, idempotency_key, request_fingerprint, idempotency_expires_at
        )
        SELECT id, tenant_id, kind, input -> 'value', metadata -> 'value', queue, priority, max_attempts,
               timestamptz 'epoch' + deadline_us * interval '1 microsecond', callback_url,
               ouro_webhook_url, ouro_webhook_token, ouro_action_id, ouro_route_id, ouro_route_org_id,
               ouro_route_team_id, idempotency_key, decode(fingerprint, 'hex'),
               timestamptz 'epoch' + key_expires_us * interval '1 microsecond'
        FROM jsonb_to_recordset($1::jsonb) AS r(
            position integer, id uuid, tenant_id bigint, kind text, input jsonb, metadata jsonb, queue text,
            priority smallint, max_attempts integer, deadline_us bigint, callback_url text,
            ouro_webhook_url text, ouro_webhook_token text, ouro_action_id text, ouro_route_id text,
            ouro_route_org_id text, ouro_route_team_id text, idempotency_key text, fingerprint text,
            key_expires_us bigint)
        -- Keys in one order in every batch, so two batches that share keys wait for each
        -- other instead of deadlocking; of two creates with one key in a batch the first
        -- wins and the second finds it taken.
        ORDER BY tenant_id, idempotency_key, position
        ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING \(PostgresStore.operationColumns)
        """
    typealias Row = OperationRecord

    var batch: [NewOperation]
    var binds: [any PostgresThrowingDynamicTypeEncodable] {
        [JSONValue.array(batch.enumerated().map { $0.element.recordsetRow(position: $0.offset) })]
    }

    func decodeRow(_ row: PostgresRow) throws -> OperationRecord { try OperationRecord(row: row) }
}

extension NewOperation {
    /// This create as a row of the `jsonb_to_recordset` in
    /// ``PostgresStore/insertOperations(_:on:logger:)``. JSON values travel wrapped
    /// (`{"value": …}`) so that a JSON `null` stays a value; times travel as
    /// microseconds since the Unix epoch, exactly.
    fileprivate func recordsetRow(position: Int) -> JSONValue {
        var row: [String: JSONValue] = [
            "position": .integer(Int64(position)), "id": .string(id.lowercasedText), "tenant_id": .integer(tenantID),
            "kind": .string(kind), "input": .object(["value": input]), "metadata": .object(["value": metadata]),
            "queue": .string(queue), "priority": .integer(Int64(priority)),
            "max_attempts": .integer(Int64(maxAttempts)),
        ]
        func text(_ key: String, _ value: String?) {
            if let value { row[key] = .string(value) }
        }
        text("callback_url", callbackURL)
        text("ouro_webhook_url", ouro.webhookURL)
        text("ouro_webhook_token", ouro.webhookToken)
        text("ouro_action_id", ouro.actionID)
        text("ouro_route_id", ouro.routeID)
        text("ouro_route_org_id", ouro.routeOrgID)
        text("ouro_route_team_id", ouro.routeTeamID)
        if let deadline { row["deadline_us"] = .integer(deadline.unixMicroseconds) }
        if let idempotency {
            row["idempotency_key"] = .string(idempotency.key)
            row["fingerprint"] = .string(idempotency.fingerprint.map { String(format: "%02x", $0) }.joined())
            row["key_expires_us"] = .integer(idempotency.expiresAt.unixMicroseconds)
        }
        return .object(row)
    }
}

extension Date {
    /// Whole microseconds since the Unix epoch: PostgreSQL's precision.
    fileprivate var unixMicroseconds: Int64 { Int64((timeIntervalSince1970 * 1_000_000).rounded()) }
}

/// All three or nothing: the schema's CHECKs keep such column groups together.
private func zip3<A, B, C>(_ a: A?, _ b: B?, _ c: C?) -> (A, B, C)? {
    guard let a, let b, let c else { return nil }
    return (a, b, c)
}
