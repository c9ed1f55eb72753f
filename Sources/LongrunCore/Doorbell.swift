import Synchronization

/// Wakes one waiting loop early: `wait(upTo:)` returns when `ring()` is called (or was
/// called since the last wait) or when the time is up. A ring is never lost, however it
/// races the wait; several rings before a wait count as one.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var sleeper: Task<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        state.withLock { state in
            state.rung = true
            state.sleeper?.cancel()
        }
    }

    /// Returns true when rung (before or during the wait), false when the time ran out
    /// or the waiting task was cancelled.
    @discardableResult
    public func wait(upTo timeout: Duration) async -> Bool {
        let sleeper: Task<Void, Never>? = state.withLock { state in
            if state.rung {
                state.rung = false
                return nil
            }
            let sleeper = Task { _ = try? await Task.sleep(for: timeout) }
            state.sleeper = sleeper
            return sleeper
        }
        guard let sleeper else { return true }
        await withTaskCancellationHandler {
            await sleeper.value
        } onCancel: {
            sleeper.cancel()
        }
        return state.withLock { state in
            defer {
                state.rung = false
                state.sleeper = nil
            }
            return state.rung
        }
    }
}
