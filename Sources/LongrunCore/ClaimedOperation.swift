import Foundation

/// What a worker needs to run an operation it has just claimed. The lease token is the
/// worker's proof of ownership: every later write names it, so a worker that lost its
/// lease (paused, partitioned, rescued) cannot overwrite anyone's result.
public struct ClaimedOperation: Sendable, Hashable {
    public var id: UUID
    public var kind: String
    public var input: JSONValue
    public var metadata: JSONValue
    /// 1 for the first attempt.
    public var attempt: Int
    public var maxAttempts: Int
    public var leaseToken: UUID
    public var deadline: Date?
    /// What an earlier attempt saved, to resume from.
    public var checkpoint: JSONValue?

    public init(
        id: UUID, kind: String, input: JSONValue, metadata: JSONValue, attempt: Int, maxAttempts: Int,
        leaseToken: UUID, deadline: Date?, checkpoint: JSONValue?
    ) {
        self.id = id
        self.kind = kind
        self.input = input
        self.metadata = metadata
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.leaseToken = leaseToken
        self.deadline = deadline
        self.checkpoint = checkpoint
    }
}

/// A worker's request for work: as many due operations as it has free slots, from its
/// queues, of the kinds it can run.
public struct ClaimRequest: Sendable, Hashable {
    public var workerID: UUID
    public var slots: Int
    public var queues: [String]
    public var kinds: [String]
    public var lease: Duration

    public init(workerID: UUID, slots: Int, queues: [String], kinds: [String], lease: Duration) {
        self.workerID = workerID
        self.slots = slots
        self.queues = queues
        self.kinds = kinds
        self.lease = lease
    }
}
