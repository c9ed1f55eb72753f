import Foundation
import LongrunCore
import Synchronization

/// One claimed operation in a slot: its handler's Task, why it was stopped (if it was),
/// and the first of "the handler returned" and "the handler was given up on".
///
/// The handler runs in a Task of its own rather than in the worker's task group, so a
/// handler that ignores cancellation can be abandoned: the slot is freed after the grace
/// period, and whatever the handler returns later is discarded.
final class OperationRun: Sendable {
    enum StopReason: String, Sendable {
        /// A client cancelled the operation; it is `cancelled` already.
        case cancelledByClient = "cancelled"
        /// The heartbeat or a progress write found the lease gone (rescued, cancelled).
        case leaseLost = "lease_lost"
        case deadlineExceeded = "deadline_exceeded"
        /// The worker is shutting down and the grace period is over.
        case shutdown
    }

    enum Outcome: Sendable {
        case returned(JSONValue)
        case threw(any Error)
        /// Stopped, and did not return within the grace period.
        case abandoned

        /// Whether the handler itself ended the run (returned or threw).
        var handlerEnded: Bool {
            if case .abandoned = self { false } else { true }
        }
    }

    private struct State {
        var handler: Task<Void, Never>?
        var stopReason: StopReason?
        var outcome: Outcome?
        /// When the outcome came: the handler's return, or the moment it was given up on.
        var settledAt: Date?
        var waiter: CheckedContinuation<Outcome, Never>?
    }

    let operation: ClaimedOperation
    private let state = Mutex(State())

    init(_ operation: ClaimedOperation) {
        self.operation = operation
    }

    var stopReason: StopReason? { state.withLock { $0.stopReason } }

    /// When the handler returned (or was abandoned); nil while it runs.
    var settledAt: Date? { state.withLock { $0.settledAt } }

    /// Starts the handler in its own Task.
    func start(_ work: @escaping @Sendable () async throws -> JSONValue) {
        let handler = Task {
            do {
                settle(.returned(try await work()))
            } catch {
                settle(.threw(error))
            }
        }
        let stoppedAlready = state.withLock { state in
            state.handler = handler
            return state.stopReason != nil
        }
        if stoppedAlready { handler.cancel() }
    }

    /// Cancels the handler's Task, once, and gives it `grace` to return before the run is
    /// abandoned. Does nothing once the handler has returned.
    func stop(_ reason: StopReason, grace: Duration) {
        let handler: Task<Void, Never>?? = state.withLock { state in
            guard state.stopReason == nil, state.outcome == nil else { return nil }
            state.stopReason = reason
            return .some(state.handler)
        }
        guard case .some(let task) = handler else { return }
        task?.cancel()
        Task {
            try? await Task.sleep(for: grace)
            self.settle(.abandoned)
        }
    }

    /// The handler's outcome, when there is one.
    func outcome() async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Outcome? in
                if let outcome = state.outcome { return outcome }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func settle(_ outcome: Outcome) {
        let waiter = state.withLock { state -> CheckedContinuation<Outcome, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            state.settledAt = Date()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: outcome)
    }
}
