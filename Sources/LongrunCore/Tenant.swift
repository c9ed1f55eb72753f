import Foundation

/// The owner of operations and API keys. Every query about operations names a tenant,
/// so one tenant's key never reaches another tenant's operations.
public struct Tenant: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var webhookSecret: WebhookSecret
    public var createdAt: Date

    public init(id: Int64, name: String, webhookSecret: WebhookSecret, createdAt: Date) {
        self.id = id
        self.name = name
        self.webhookSecret = webhookSecret
        self.createdAt = createdAt
    }
}
