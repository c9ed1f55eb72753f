import Foundation

/// What creating an operation needs; the store fills in status, timestamps and counters.
public struct NewOperation: Sendable, Hashable {
    public var id: UUID
    public var tenantID: Int64
    public var kind: String
    public var input: JSONValue
    public var metadata: JSONValue
    public var queue: String
    public var priority: Int
    public var maxAttempts: Int
    public var deadline: Date?
    public var callbackURL: String?
    public var ouro: OuroContext
    public var idempotency: IdempotencyRecord?

    public init(
        id: UUID = OperationID.make(), tenantID: Int64, kind: String, input: JSONValue,
        metadata: JSONValue = .emptyObject, queue: String = "default", priority: Int = 0, maxAttempts: Int = 3,
        deadline: Date? = nil, callbackURL: String? = nil, ouro: OuroContext = OuroContext(),
        idempotency: IdempotencyRecord? = nil
    ) {
        self.id = id
        self.tenantID = tenantID
        self.kind = kind
        self.input = input
        self.metadata = metadata
        self.queue = queue
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.deadline = deadline
        self.callbackURL = callbackURL
        self.ouro = ouro
        self.idempotency = idempotency
    }
}
