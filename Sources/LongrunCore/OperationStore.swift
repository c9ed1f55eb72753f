import Foundation

/// What the API node asks of the database, in domain words. `LongrunPostgres` holds the
/// one implementation; the API never sees SQL.
public protocol OperationStore: SchemaReadiness, NotificationSource {
    func tenant(authenticatedBy key: APIKey) async throws -> Tenant?
    func ensureTenant(named name: String) async throws -> Tenant

    /// Inserts a `pending` operation, or, when its idempotency key was used before
    /// and has not expired, returns what that earlier request made.
    func createOperation(_ new: NewOperation) async throws -> CreateOutcome
    func operation(id: UUID, tenantID: Int64) async throws -> OperationRecord?
    /// A page of a tenant's operations, newest first.
    func operations(tenantID: Int64, matching query: OperationQuery) async throws -> [OperationRecord]
    func cancelOperation(id: UUID, tenantID: Int64) async throws -> CancelOutcome
    func deleteOperation(id: UUID, tenantID: Int64) async throws -> DeleteOutcome
    /// Log lines in the order written: after `afterID` when given, at most `limit` when given.
    func logs(operationID: UUID, after afterID: Int64?, limit: Int?) async throws -> [OperationLogEntry]
    func deliveries(operationID: UUID) async throws -> [WebhookDelivery]
    /// Queues a dead, stopped or delivered delivery again, with the same id.
    func retryDelivery(id: UUID, operationID: UUID) async throws -> RetryDeliveryOutcome

    /// Whether `error`, thrown by this store, means the database cannot be reached just
    /// now (a restart, a failover, a network cut) rather than that something is wrong:
    /// the API answers 503 with `Retry-After` for those, and 500 only for the rest.
    func isUnavailable(_ error: any Error) -> Bool
}

public enum RetryDeliveryOutcome: Sendable, Hashable {
    case queued
    /// It is pending already; the notifier will get to it.
    case alreadyPending
    case notFound
}

public enum CreateOutcome: Sendable, Hashable {
    case created(OperationRecord)
    /// The same key and the same request came before: this is what it made.
    case replayed(OperationRecord)
    /// The key was used for a different request.
    case keyReusedForAnotherRequest
}

public enum CancelOutcome: Sendable, Hashable {
    case cancelled(OperationRecord)
    /// Whichever commits first wins: it had finished already, in this status.
    case alreadyFinished(OperationStatus)
    case notFound
}

public enum DeleteOutcome: Sendable, Hashable {
    case deleted
    /// Only finished operations can be deleted.
    case notFinished(OperationStatus)
    case notFound
}

/// Filters and a keyset position for listing.
public struct OperationQuery: Sendable, Hashable {
    public var status: OperationStatus?
    public var kind: String?
    /// Only operations older than this one (the last of the previous page).
    public var before: UUID?
    public var limit: Int

    public init(status: OperationStatus? = nil, kind: String? = nil, before: UUID? = nil, limit: Int = 50) {
        self.status = status
        self.kind = kind
        self.before = before
        self.limit = limit
    }
}
