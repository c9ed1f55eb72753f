/// Holds back a claim that a trickle of work would otherwise make every few
/// milliseconds, so one claim takes what several notifications announced.
///
/// Under load every batch of creates notifies every worker (and every batch of endings
/// every notifier). Answered at once, each notification costs a claim, a round trip and
/// a wake-up of the process for a row or two, and the endings then go out in batches
/// just as small. Two patterns say a process is in such a trickle:
/// - two empty claims in a row: it keeps losing the race to another process;
/// - two claims in a row that each took several items but fewer than it had room for:
///   work piles up between its claims, a little at a time.
///
/// After either, the next claim waits until `spacing` after the last one. A client that
/// creates one operation at a time gets claims of one item, and never waits; neither
/// does a drain, whose claims fill every free slot.
public struct ClaimSpacing: Sendable {
    public let spacing: Duration
    private var emptyInARow = 0
    private var partialInARow = 0
    private var lastClaimAt: ContinuousClock.Instant?

    /// 50 ms by default: each step from 10 to 25 to 50 ms raised the `e2e` benchmark by
    /// about a tenth (docs/benchmarks.md), and a start or webhook under such a stream
    /// waits no longer than that, against operations that run for minutes.
    public init(_ spacing: Duration = .milliseconds(50)) {
        self.spacing = spacing
    }

    /// Returns when the next claim may go: at once unless the last two were empty, or
    /// both took several items and less than they had room for.
    public func wait() async {
        guard emptyInARow >= 2 || partialInARow >= 2, let lastClaimAt else { return }
        try? await Task.sleep(until: lastClaimAt + spacing, clock: .continuous)
    }

    /// Records how many items the claim just made took, of the `room` it asked for.
    public mutating func claimed(_ count: Int, of room: Int) {
        lastClaimAt = .now
        if count == 0 {
            emptyInARow += 1
            partialInARow = 0
        } else if count > 1, count < room {
            partialInARow += 1
            emptyInARow = 0
        } else {
            emptyInARow = 0
            partialInARow = 0
        }
    }
}
