import Foundation

/// When a retryable failure is tried again: exponential back-off with jitter, so many
/// operations failing together (a dependency down) do not all come back at once.
public struct RetryPolicy: Sendable, Hashable {
    /// The delay after the first failed attempt, before jitter.
    public var base: Duration
    /// No delay grows beyond this.
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(600)) {
        self.base = base
        self.cap = cap
    }

    /// The delay after failed attempt `attempt` (1-based): `base · 2^(attempt−1)` capped,
    /// then "equal jitter", a uniform pick in its upper half, so delays still grow while
    /// no two workers agree. `random` is a draw in 0..<1, injectable for tests.
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let exponent = Double(max(0, min(attempt - 1, 62)))
        let full = min(base.inSeconds * pow(2, exponent), cap.inSeconds)
        return .milliseconds(Int64((full / 2 + full / 2 * random) * 1000))
    }
}
