import Logging
import LongrunCore
import Synchronization

/// Writes the results of attempts, many per statement: whatever sends finish while one
/// write is in flight go together in the next. A result that cannot be written within
/// the claim hold is dropped: by then the row is due again and another attempt will
/// be made (at least once, never lost).
final class DeliveryResultWriter: Sendable {
    private let store: any DeliveryStore
    private let giveUpAfter: Duration
    private let logger: Logger
    private let queue = Mutex<[DeliveryResult]>([])
    private let doorbell = Doorbell()
    private let closed = Atomic<Bool>(false)

    init(store: any DeliveryStore, giveUpAfter: Duration, logger: Logger) {
        self.store = store
        self.giveUpAfter = giveUpAfter
        self.logger = logger
    }

    func write(_ result: DeliveryResult) {
        queue.withLock { $0.append(result) }
        doorbell.ring()
    }

    /// The write loop, until ``close()``: then it writes what is queued and returns. It
    /// is closed rather than cancelled, because a cancelled task's queries fail.
    func run() async {
        while !closed.load(ordering: .relaxed), !Task.isCancelled {
            await doorbell.wait(upTo: .seconds(3600))
            await writeQueued()
        }
        await writeQueued()
    }

    func close() {
        closed.store(true, ordering: .relaxed)
        doorbell.ring()
    }

    private func writeQueued() async {
        let batch = queue.withLock { queue in
            defer { queue = [] }
            return queue
        }
        guard !batch.isEmpty else { return }
        let written = await persistently(for: giveUpAfter) { error in
            logger.warning(
                "recording delivery attempts failed", metadata: ["longrun.error": "\(String(reflecting: error))"])
        } _: {
            try await store.settleDeliveries(batch)
        }
        if !written {
            logger.error(
                "could not record delivery attempts; the deliveries will be sent again",
                metadata: ["longrun.deliveries": "\(batch.count)"])
        }
    }
}
