/// Holds back a claim that would follow two empty ones within `spacing`. Under load
/// every batch of creates notifies every worker (and every batch of endings every
/// notifier); each answered with a claim at once, and most of those claims found
/// nothing, another process having taken the work first. After two empty claims in a
/// row a process waits out the spacing, so its next claim takes what several
/// notifications announced. One empty claim is normal for a lone worker (a freed slot
/// looks for work before the next is created) and does not delay its next pickup.
public struct ClaimSpacing: Sendable {
    public let spacing: Duration
    private var emptyInARow = 0
    private var lastEmptyClaimAt: ContinuousClock.Instant?

    public init(_ spacing: Duration = .milliseconds(10)) {
        self.spacing = spacing
    }

    /// Returns when the next claim may go: at once unless the last two found nothing.
    public func wait() async {
        guard emptyInARow >= 2, let lastEmptyClaimAt else { return }
        try? await Task.sleep(until: lastEmptyClaimAt + spacing, clock: .continuous)
    }

    /// Records how many items the claim just made took.
    public mutating func claimed(_ count: Int) {
        if count == 0 {
            emptyInARow += 1
            lastEmptyClaimAt = .now
        } else {
            emptyInARow = 0
        }
    }
}
