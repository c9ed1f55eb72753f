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

    /// Inserts a `pending` operation and returns it as stored.
    public func insertOperation(_ new: NewOperation) async throws -> OperationRecord {
        try await client.withConnection { connection in
            try await Self.insertOperation(new, on: connection, logger: logger)
        }
    }

    static func insertOperation(
        _ new: NewOperation, on connection: PostgresConnection, logger: Logger
    )
        async throws -> OperationRecord
    {
        let rows = try await connection.query(
            """
            INSERT INTO operations (
                id, tenant_id, kind, input, metadata, queue, priority, max_attempts, deadline, callback_url,
                ouro_webhook_url, ouro_webhook_token, ouro_action_id, ouro_route_id, ouro_route_org_id,
                ouro_route_team_id, idempotency_key, request_fingerprint, idempotency_expires_at
            ) VALUES (
                \(new.id), \(new.tenantID), \(new.kind), \(new.input), \(new.metadata), \(new.queue),
                \(new.priority), \(new.maxAttempts), \(new.deadline), \(new.callbackURL),
                \(new.ouro.webhookURL), \(new.ouro.webhookToken), \(new.ouro.actionID), \(new.ouro.routeID),
                \(new.ouro.routeOrgID), \(new.ouro.routeTeamID), \(new.idempotency?.key),
                \(new.idempotency.map { Data($0.fingerprint) }), \(new.idempotency?.expiresAt)
            )
            RETURNING \(unescaped: operationColumns)
            """,
            logger: logger
        )
        guard let row = try await rows.collect().first else {
            throw LongrunError(.environment, "INSERT … RETURNING returned no row")
        }
        return try OperationRecord(row: row)
    }

    /// The operation with `id` if it belongs to `tenantID`; another tenant's is nil,
    /// exactly like a missing one.
    public func operation(id: UUID, tenantID: Int64) async throws -> OperationRecord? {
        try await client.query(
            "SELECT \(unescaped: Self.operationColumns) FROM operations WHERE id = \(id) AND tenant_id = \(tenantID)",
            logger: logger
        ).collect().first.map(OperationRecord.init(row:))
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

/// All three or nothing: the schema's CHECKs keep such column groups together.
private func zip3<A, B, C>(_ a: A?, _ b: B?, _ c: C?) -> (A, B, C)? {
    guard let a, let b, let c else { return nil }
    return (a, b, c)
}
