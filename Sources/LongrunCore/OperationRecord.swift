import Foundation

/// An operation as stored: the contract's resource plus what only the system sees
/// (tenant, queue, lease, checkpoint, idempotency, webhook targets).
public struct OperationRecord: Sendable, Hashable {
    public var id: UUID
    public var tenantID: Int64
    public var kind: String
    public var queue: String
    /// Higher runs first; ties go to the operation that has been due longest.
    public var priority: Int
    public var status: OperationStatus
    public var input: JSONValue
    public var metadata: JSONValue
    public var result: JSONValue?
    public var error: OperationError?
    public var progress: Int?
    public var message: String?
    public var attempt: Int
    public var maxAttempts: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var estimatedCompletion: Date?
    /// Not claimable before this instant (creation, or the end of a retry back-off).
    public var runAt: Date
    /// Past this instant the operation fails with `deadline_exceeded` (`timeout_seconds`).
    public var deadline: Date?
    public var callbackURL: String?
    public var ouro: OuroContext
    public var lease: Lease?
    public var checkpoint: JSONValue?
    public var idempotency: IdempotencyRecord?

    /// True exactly in the terminal states.
    public var done: Bool { status.isTerminal }

    public init(
        id: UUID, tenantID: Int64, kind: String, queue: String, priority: Int, status: OperationStatus,
        input: JSONValue, metadata: JSONValue, result: JSONValue?, error: OperationError?, progress: Int?,
        message: String?, attempt: Int, maxAttempts: Int, createdAt: Date, updatedAt: Date, startedAt: Date?,
        finishedAt: Date?, estimatedCompletion: Date?, runAt: Date, deadline: Date?, callbackURL: String?,
        ouro: OuroContext, lease: Lease?, checkpoint: JSONValue?, idempotency: IdempotencyRecord?
    ) {
        self.id = id
        self.tenantID = tenantID
        self.kind = kind
        self.queue = queue
        self.priority = priority
        self.status = status
        self.input = input
        self.metadata = metadata
        self.result = result
        self.error = error
        self.progress = progress
        self.message = message
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.estimatedCompletion = estimatedCompletion
        self.runAt = runAt
        self.deadline = deadline
        self.callbackURL = callbackURL
        self.ouro = ouro
        self.lease = lease
        self.checkpoint = checkpoint
        self.idempotency = idempotency
    }
}

/// A worker's hold on a running operation. Every write after the claim names the
/// token, so a worker that lost its lease cannot overwrite anyone's result.
public struct Lease: Sendable, Hashable {
    public var owner: UUID
    public var token: UUID
    public var expiresAt: Date

    public init(owner: UUID, token: UUID, expiresAt: Date) {
        self.owner = owner
        self.token = token
        self.expiresAt = expiresAt
    }
}

/// What an `Idempotency-Key` request left behind, to answer its replays.
public struct IdempotencyRecord: Sendable, Hashable {
    public var key: String
    /// A hash of everything that makes two requests "the same request".
    public var fingerprint: [UInt8]
    public var expiresAt: Date

    public init(key: String, fingerprint: [UInt8], expiresAt: Date) {
        self.key = key
        self.fingerprint = fingerprint
        self.expiresAt = expiresAt
    }
}
