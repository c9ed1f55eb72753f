import Foundation
import LongrunCore
import Synchronization

/// One claimed operation in a slot: its handler's Task, why it was stopped (if it was),
/// and the first of "the handler returned" and "the handler was given up on".
///
/// The handler runs in a Task of its own, and that Task is all a run costs while it
/// runs: no other task waits on it. Whichever comes first, the handler's return or the
/// end of the grace after a stop, calls `whenEnded` once, from its own task. A handler
/// that ignores cancellation is thus abandoned: its slot is freed after the grace
/// period, and whatever it returns later is discarded.
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
        var deadlineTimer: Task<Void, Never>?
        var stopReason: StopReason?
        /// When the outcome came: the handler's return, or the moment it was given up on.
        var settledAt: Date?
    }

    let operation: ClaimedOperation
    let startedAt = ContinuousClock.now
    private let whenEnded: @Sendable (OperationRun, Outcome) -> Void
    private let state = Mutex(State())

    init(_ operation: ClaimedOperation, whenEnded: @escaping @Sendable (OperationRun, Outcome) -> Void) {
        self.operation = operation
        self.whenEnded = whenEnded
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

    /// Stops the run as `deadlineExceeded` if it is still running at `deadline`.
    func stop(at deadline: Date, grace: Duration) {
        let timer = Task {
            let remaining = deadline.timeIntervalSinceNow
            if remaining > 0 { try? await Task.sleep(for: .seconds(remaining)) }
            if !Task.isCancelled { self.stop(.deadlineExceeded, grace: grace) }
        }
        let endedAlready = state.withLock { state in
            state.deadlineTimer = timer
            return state.settledAt != nil
        }
        if endedAlready { timer.cancel() }
    }

    /// Cancels the handler's Task, once, and gives it `grace` to return before the run is
    /// abandoned. Does nothing once the handler has returned.
    func stop(_ reason: StopReason, grace: Duration) {
        let handler: Task<Void, Never>?? = state.withLock { state in
            guard state.stopReason == nil, state.settledAt == nil else { return nil }
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

    private func settle(_ outcome: Outcome) {
        let deadlineTimer: Task<Void, Never>?? = state.withLock { state in
            guard state.settledAt == nil else { return nil }
            state.settledAt = Date()
            return .some(state.deadlineTimer)
        }
        guard case .some(let timer) = deadlineTimer else { return }
        timer?.cancel()
        whenEnded(self, outcome)
    }
}
