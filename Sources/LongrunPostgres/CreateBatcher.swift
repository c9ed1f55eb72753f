import LongrunCore
import Synchronization

/// Gathers the creates that arrive while earlier ones are being written, so that one
/// statement and one commit store them all. A single-row insert per request is bound
/// by PostgreSQL's commits (each waits for its WAL flush); under load an API node then
/// commits once per batch. An idle node writes a create at once, alone: nothing waits
/// for a window to fill.
///
/// There is no background loop. A create that finds a free writing turn writes itself
/// and whoever waits (up to `maxBatch`), answers them, and hands the turn to the
/// oldest create that arrived meanwhile, which writes the next batch.
final class CreateBatcher: Sendable {
    /// Writes a batch; one result per operation, in order.
    typealias Write = @Sendable ([NewOperation]) async -> [Result<CreateOutcome, any Error>]

    private let maxBatch: Int
    private let maxWriters: Int
    private let state = Mutex(State())

    private struct State {
        var writers = 0
        var waiting: [Waiter] = []
    }

    private struct Waiter {
        let operation: NewOperation
        let continuation: CheckedContinuation<Turn, Never>
    }

    private enum Turn {
        case written(Result<CreateOutcome, any Error>)
        case write
    }

    /// - Parameters:
    ///   - maxBatch: the most rows one statement inserts.
    ///   - maxWriters: how many batches may be in flight at once; a second one lets a
    ///     create that arrives mid-write start at once rather than wait a round trip.
    init(maxBatch: Int = 500, maxWriters: Int = 2) {
        precondition(maxBatch > 0 && maxWriters > 0)
        self.maxBatch = maxBatch
        self.maxWriters = maxWriters
    }

    /// How many creates wait for a writing turn.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Stores `operation` in the next batch; `write` is used if this call writes one.
    func create(_ operation: NewOperation, write: @escaping Write) async throws -> CreateOutcome {
        let turn = await withCheckedContinuation { continuation in
            queue(Waiter(operation: operation, continuation: continuation))
        }
        if case .written(let result) = turn { return try result.get() }

        let others = state.withLock { state in
            let taken = Array(state.waiting.prefix(maxBatch - 1))
            state.waiting.removeFirst(taken.count)
            return taken
        }
        let batch = [operation] + others.map(\.operation)
        // Unstructured, so that a cancelled request cannot cancel the others' write.
        let results = await Task { await write(batch) }.value
        precondition(results.count == batch.count, "a batch write must answer every create")
        for (waiter, result) in zip(others, results.dropFirst()) {
            waiter.continuation.resume(returning: .written(result))
        }
        let next = state.withLock { state -> Waiter? in
            guard !state.waiting.isEmpty else {
                state.writers -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .write)
        return try results[0].get()
    }

    /// Gives `waiter` a writing turn at once when one is free, or queues it.
    private func queue(_ waiter: Waiter) {
        let writesNow = state.withLock { state in
            guard state.writers < maxWriters else {
                state.waiting.append(waiter)
                return false
            }
            state.writers += 1
            return true
        }
        if writesNow { waiter.continuation.resume(returning: .write) }
    }
}
