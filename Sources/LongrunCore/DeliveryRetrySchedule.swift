/// When a failed webhook delivery is tried again: after the n-th failed attempt, a delay
/// drawn uniformly from zero to the schedule's n-th entry ("full jitter", so receivers
/// that fail together are not hit again together); after the last entry, the delivery
/// is dead. A receiver's `Retry-After` raises the delay to what it asked, up to a day
/// (an absurd value must not park a delivery for good).
public struct DeliveryRetrySchedule: Sendable, Hashable {
    public var delays: [Duration]

    /// The most of a receiver's `Retry-After` that is honoured.
    public static let longestRetryAfter = Duration.seconds(86_400)

    /// About two days in all, as the contract describes: 5 s, 30 s, 2 min, 10 min, 30 min,
    /// 1 h, 3 h, 6 h, 12 h, 24 h.
    public static let standard = DeliveryRetrySchedule(
        delays: [5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600].map { .seconds($0) }
    )

    public init(delays: [Duration]) {
        self.delays = delays
    }

    /// Attempts in all: the first and one per entry.
    public var attempts: Int { delays.count + 1 }

    /// The wait after failed attempt `attempt` (1 for the first), or nil when it was the
    /// last. `retryAfter` is the receiver's own request.
    public func delay(
        afterAttempt attempt: Int, retryAfter: Duration? = nil,
        using generator: inout some RandomNumberGenerator
    ) -> Duration? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        let ceiling = delays[attempt - 1].inMilliseconds
        var delay = Duration.milliseconds(ceiling > 0 ? Int64.random(in: 0...ceiling, using: &generator) : 0)
        if let retryAfter {
            delay = max(delay, min(retryAfter, Self.longestRetryAfter))
        }
        return delay
    }
}
