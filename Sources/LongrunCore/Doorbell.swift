import Synchronization

/// Wakes one waiting loop early: `wait(upTo:)` returns when `ring()` is called (or was
/// called since the last wait) or when the time is up. A ring is never lost, however it
/// races the wait; several rings before a wait count as one.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var sleeper: Task<Void, Never>?
        /// When ``ring(spacedBy:)`` last rang, and whether it has a ring coming.
        var lastSpacedRing: ContinuousClock.Instant?
        var spacedRingComing = false
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        state.withLock { state in
            state.rung = true
            state.sleeper?.cancel()
        }
    }

    /// Rings now, or, when the last such ring was less than `spacing` ago, once when the
    /// spacing is over, however many calls come meanwhile. Under load every commit
    /// elsewhere sends a wake-up; spaced, one claim takes what several commits queued
    /// instead of one claim (often empty, another worker having taken the work) each.
    /// The first wake-up after a quiet spell is not delayed, so idle pickup stays as fast.
    public func ring(spacedBy spacing: Duration) {
        let now = ContinuousClock.now
        let delay: Duration? = state.withLock { state in
            guard !state.spacedRingComing else { return nil }
            if let last = state.lastSpacedRing, now - last < spacing {
                state.spacedRingComing = true
                return spacing - (now - last)
            }
            state.lastSpacedRing = now
            return .zero
        }
        guard let delay else { return }
        guard delay > .zero else { return ring() }
        Task {
            try? await Task.sleep(for: delay)
            state.withLock { state in
                state.spacedRingComing = false
                state.lastSpacedRing = .now
            }
            ring()
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
