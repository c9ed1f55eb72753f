import Foundation
import Logging
import LongrunCore
import Synchronization

/// Writes how runs end, many per statement: whatever runs finish while one write is in
/// flight go together in the next. At low load a run's end is written at once; under
/// load one commit carries a whole batch, which is what lets a worker keep up with
/// PostgreSQL rather than with its commit rate.
final class DepartureWriter: Sendable {
    /// Whether a departure took: the lease held, or it was gone (cancelled, rescued).
    enum Result: Sendable {
        case took, leaseLost
        /// The database stayed unreachable past `giveUpAfter`; the lease will expire and
        /// a rescuer will take the operation back.
        case notWritten
    }

    private struct Waiting {
        var departure: Departure
        var then: @Sendable (Result) -> Void
    }

    private let store: any WorkerStore
    private let giveUpAfter: Duration
    private let logger: Logger
    private let queue = Mutex<[Waiting]>([])
    private let doorbell = Doorbell()

    init(store: any WorkerStore, giveUpAfter: Duration, logger: Logger) {
        self.store = store
        self.giveUpAfter = giveUpAfter
        self.logger = logger
    }

    /// Queues a departure for the next write and calls `then` with its result once it is
    /// written. Nothing waits on it: a run's slot is free while its end is written.
    func write(_ departure: Departure, then: @escaping @Sendable (Result) -> Void) {
        queue.withLock { $0.append(Waiting(departure: departure, then: then)) }
        doorbell.ring()
    }

    /// The write loop; on cancellation it writes what is queued and returns.
    func run() async {
        while !Task.isCancelled {
            await doorbell.wait(upTo: .seconds(3600))
            await writeQueued()
        }
        await writeQueued()
    }

    private func writeQueued() async {
        let batch = queue.withLock { queue in
            defer { queue = [] }
            return queue
        }
        guard !batch.isEmpty else { return }
        var took: Set<UUID> = []
        let written = await persistently(for: giveUpAfter) { error in
            logger.warning(
                "recording the end of attempts failed", metadata: ["longrun.error": "\(String(reflecting: error))"])
        } _: {
            took = try await store.leave(batch.map(\.departure))
        }
        guard written else {
            logger.error(
                "could not record the end of attempts; their leases will expire and be rescued",
                metadata: ["longrun.operations": "\(batch.count)"])
            for waiting in batch { waiting.then(.notWritten) }
            return
        }
        for waiting in batch {
            waiting.then(took.contains(waiting.departure.id) ? .took : .leaseLost)
        }
    }
}
