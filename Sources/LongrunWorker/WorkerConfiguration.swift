import Foundation
import LongrunCore

/// How a worker process claims and runs operations. The defaults are the contract's.
public struct WorkerConfiguration: Sendable {
    /// This process in the `workers` table and in every lease it holds.
    public var id: UUID
    public var queues: [String]
    /// Operations run at once (slots).
    public var concurrency: Int
    /// How long a claim holds without a heartbeat; a worker silent for longer loses its
    /// operations to a rescuer.
    public var lease: Duration
    public var heartbeat: Duration
    /// How often an idle worker looks for work it was not notified of.
    public var pollInterval: Duration
    /// Time given to running handlers at SIGTERM before they are cancelled and released.
    public var shutdownGrace: Duration
    /// Time a cancelled handler gets to return before it is abandoned and its slot freed.
    public var cancelGrace: Duration
    /// Progress and log lines of a run are written at most once per interval.
    public var progressInterval: Duration
    public var retry: RetryPolicy
    /// Expired leases taken back per statement.
    public var rescueBatchSize: Int

    public init(
        id: UUID = UUID(),
        queues: [String] = ["default"],
        concurrency: Int = 2 * ProcessInfo.processInfo.activeProcessorCount,
        lease: Duration = .seconds(30),
        heartbeat: Duration = .seconds(10),
        pollInterval: Duration = .seconds(2),
        shutdownGrace: Duration = .seconds(30),
        cancelGrace: Duration = .seconds(10),
        progressInterval: Duration = .milliseconds(250),
        retry: RetryPolicy = RetryPolicy(),
        rescueBatchSize: Int = 100
    ) {
        self.id = id
        self.queues = queues
        self.concurrency = concurrency
        self.lease = lease
        self.heartbeat = heartbeat
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
        self.cancelGrace = cancelGrace
        self.progressInterval = progressInterval
        self.retry = retry
        self.rescueBatchSize = rescueBatchSize
    }
}
