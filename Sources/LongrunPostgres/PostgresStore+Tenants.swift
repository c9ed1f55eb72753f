import Foundation
import LongrunCore
import PostgresNIO

extension PostgresStore {
    /// Returns the tenant called `name`, creating it with a fresh webhook secret first if
    /// there is none. Safe to call from many processes at once.
    public func ensureTenant(named name: String) async throws -> Tenant {
        let secret = WebhookSecret.generate()
        // Under READ COMMITTED a racing insert of the same name can hide from both halves
        // of this statement (it commits after the statement's snapshot); the next round
        // sees it.
        for _ in 0..<3 {
            let rows = try await query(
                """
                WITH inserted AS (
                    INSERT INTO tenants (name, webhook_secret) VALUES (\(name), \(secret.text))
                    ON CONFLICT (name) DO NOTHING
                    RETURNING id, name, webhook_secret, created_at
                )
                SELECT id, name, webhook_secret, created_at FROM inserted
                UNION ALL
                SELECT id, name, webhook_secret, created_at FROM tenants WHERE name = \(name)
                LIMIT 1
                """
            )
            if let tenant = try rows.first.map(Tenant.init(row:)) { return tenant }
        }
        throw LongrunError(.environment, "tenant \(name) was neither created nor found")
    }

    /// Stores `key` for `tenantID`: its hash and display prefix, never the key itself.
    public func addAPIKey(_ key: APIKey, tenantID: Int64) async throws {
        try await query(
            """
            INSERT INTO api_keys (tenant_id, key_hash, key_prefix)
            VALUES (\(tenantID), \(Data(key.hash)), \(key.displayPrefix))
            """
        )
    }

    /// The tenant a presented key belongs to, or nil for an unknown or revoked key.
    public func tenant(authenticatedBy key: APIKey) async throws -> Tenant? {
        try await query(
            """
            SELECT t.id, t.name, t.webhook_secret, t.created_at
            FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE k.key_hash = \(Data(key.hash)) AND k.revoked_at IS NULL
            """
        ).first.map(Tenant.init(row:))
    }
}

extension Tenant {
    init(row: PostgresRow) throws {
        let (id, name, secretText, createdAt) = try row.decode((Int64, String, String, Date).self)
        guard let secret = WebhookSecret(secretText) else {
            throw LongrunError(.schemaMismatch, "tenant \(name) has a malformed webhook secret")
        }
        self.init(id: id, name: name, webhookSecret: secret, createdAt: createdAt)
    }
}
