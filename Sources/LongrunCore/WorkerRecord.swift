import Foundation

/// A worker process as the cluster knows it: who holds leases, and whether it still
/// beats.
public struct WorkerRecord: Sendable, Hashable {
    public var id: UUID
    public var host: String
    public var pid: Int
    public var queues: [String]
    public var concurrency: Int
    public var startedAt: Date
    public var lastHeartbeatAt: Date

    public init(
        id: UUID, host: String, pid: Int, queues: [String], concurrency: Int, startedAt: Date, lastHeartbeatAt: Date
    ) {
        self.id = id
        self.host = host
        self.pid = pid
        self.queues = queues
        self.concurrency = concurrency
        self.startedAt = startedAt
        self.lastHeartbeatAt = lastHeartbeatAt
    }
}
