import Foundation
import Logging
import LongrunCore
import Synchronization

/// Collects what running handlers report and writes it in batches: one statement for
/// every operation with news, at most once per interval. A flush (a checkpoint, a run
/// about to finish) writes at once. One loop does every write, so a run's lines land in
/// order and before its final state.
final class ProgressReporter: Sendable {
    private struct State {
        var pending: [UUID: ProgressReport] = [:]
        /// Operations whose news is being written right now.
        var writing: Set<UUID> = []
        var flushWaiters: [CheckedContinuation<Bool, Never>] = []
    }

    private let store: any WorkerStore
    private let interval: Duration
    private let logger: Logger
    /// Called with the lease tokens a write found no longer held.
    private let onLeaseLost: @Sendable (Set<UUID>) -> Void
    private let state = Mutex(State())
    private let doorbell = Doorbell()

    init(
        store: any WorkerStore, interval: Duration, logger: Logger,
        onLeaseLost: @escaping @Sendable (Set<UUID>) -> Void
    ) {
        self.store = store
        self.interval = interval
        self.logger = logger
        self.onLeaseLost = onLeaseLost
    }

    /// Merges news about `operation` into what waits to be written.
    func report(_ operation: ClaimedOperation, _ change: (inout ProgressReport) -> Void) {
        let first = state.withLock { state in
            let first = state.pending.isEmpty
            change(
                &state.pending[
                    operation.id, default: ProgressReport(operationID: operation.id, leaseToken: operation.leaseToken)])
            return first
        }
        // Only the first news of a batch starts the clock; later news joins that batch.
        if first { doorbell.ring() }
    }

    /// Whether news of `operation` waits to be written or is being written.
    func hasPending(_ operation: ClaimedOperation) -> Bool {
        state.withLock { $0.pending[operation.id] != nil || $0.writing.contains(operation.id) }
    }

    /// Writes everything pending now; true when the write went through (even if some
    /// leases were found lost).
    func flush() async -> Bool {
        await withCheckedContinuation { continuation in
            state.withLock { $0.flushWaiters.append(continuation) }
            doorbell.ring()
        }
    }

    /// The write loop; on cancellation it writes what is left and returns.
    func run() async {
        while !Task.isCancelled {
            await doorbell.wait(upTo: .seconds(3600))
            if state.withLock({ $0.flushWaiters.isEmpty }) {
                // Coalesce: news arriving in this window joins the batch; a flush cuts it short.
                await doorbell.wait(upTo: interval)
            }
            if await !write() {
                try? await Task.sleep(for: .seconds(1))
                doorbell.ring()
            }
        }
        await write()
    }

    /// False when the database did not take the batch; it is then kept for the next try.
    @discardableResult
    private func write() async -> Bool {
        let (reports, waiters) = state.withLock { state in
            defer {
                state.writing = Set(state.pending.keys)
                state.pending = [:]
                state.flushWaiters = []
            }
            return (Array(state.pending.values), state.flushWaiters)
        }
        defer { state.withLock { $0.writing = [] } }
        var written = true
        if !reports.isEmpty {
            do {
                let lost = try await store.record(reports)
                if !lost.isEmpty { onLeaseLost(lost) }
            } catch {
                written = false
                logger.warning(
                    "progress could not be written; it is kept for the next write",
                    metadata: [
                        "longrun.error": "\(String(reflecting: error))", "longrun.operations": "\(reports.count)",
                    ]
                )
                state.withLock { state in
                    for report in reports {
                        state.pending[report.operationID] = report.followed(by: state.pending[report.operationID])
                    }
                }
            }
        }
        for waiter in waiters { waiter.resume(returning: written) }
        return written
    }
}

extension ProgressReport {
    /// This report with `later` news on top: later values win, log lines keep their order.
    fileprivate func followed(by later: ProgressReport?) -> ProgressReport {
        guard let later else { return self }
        var merged = self
        merged.progress = later.progress ?? progress
        merged.message = later.message ?? message
        merged.estimatedCompletion = later.estimatedCompletion ?? estimatedCompletion
        merged.checkpoint = later.checkpoint ?? checkpoint
        merged.logs += later.logs
        return merged
    }
}

/// What a handler sees of the worker: its reports go to the coalescing writer.
final class RunContext: OperationContext {
    let operation: ClaimedOperation
    let reporter: ProgressReporter
    /// The newest checkpoint: the claimed one, then whatever this run saved.
    private let checkpoint: Mutex<JSONValue?>

    init(operation: ClaimedOperation, reporter: ProgressReporter) {
        self.operation = operation
        self.reporter = reporter
        self.checkpoint = Mutex(operation.checkpoint)
    }

    var operationID: UUID { operation.id }
    var attempt: Int { operation.attempt }
    var metadata: JSONValue { operation.metadata }

    func reportProgress(_ percent: Int, message: String?) async throws {
        reporter.report(operation) { report in
            report.progress = min(100, max(0, percent))
            if let message {
                report.message = message
                report.logs.append(.init(.info, message))
            }
        }
    }

    func log(_ level: OperationLogEntry.Level, _ message: String) async throws {
        reporter.report(operation) { $0.logs.append(.init(level, message)) }
    }

    func estimateCompletion(at date: Date) async throws {
        reporter.report(operation) { $0.estimatedCompletion = date }
    }

    /// Written through: when this returns, a later attempt will resume from it.
    func saveCheckpoint<Checkpoint: Codable & Sendable>(_ value: Checkpoint) async throws {
        let json = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
        checkpoint.withLock { $0 = json }
        reporter.report(operation) { $0.checkpoint = json }
        guard await reporter.flush() else {
            throw LongrunError(.environment, "the checkpoint could not be saved; the database is unreachable")
        }
    }

    func loadCheckpoint<Checkpoint: Codable & Sendable>(as type: Checkpoint.Type) async throws -> Checkpoint? {
        guard let json = checkpoint.withLock({ $0 }) else { return nil }
        return try JSONDecoder().decode(Checkpoint.self, from: try JSONEncoder().encode(json))
    }
}
