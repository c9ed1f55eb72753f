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
/// After either, the next claim waits until a spacing after the last one: 10 ms after
/// empty claims, 50 ms after partial ones. A client that creates one operation at a time
/// gets claims of one item, and never waits; neither does a drain, whose claims fill
/// every free slot.
public struct ClaimSpacing: Sendable {
    /// The wait after two empty claims in a row. Kept short: a process that lost two
    /// races may be the one the next operation wakes, and an idle cluster's pickup
    /// waits it out now and then.
    public let afterEmpty: Duration
    /// The wait after two partial claims in a row. Each step from 10 to 25 to 50 ms
    /// raised the `e2e` benchmark by about a tenth (docs/benchmarks.md); a start or a
    /// webhook under such a stream waits no longer than that, against operations that
    /// run for minutes.
    public let afterPartial: Duration
    private var emptyInARow = 0
    private var partialInARow = 0
    private var lastClaimAt: ContinuousClock.Instant?

    public init(afterEmpty: Duration = .milliseconds(10), afterPartial: Duration = .milliseconds(50)) {
        self.afterEmpty = afterEmpty
        self.afterPartial = afterPartial
    }

    /// Returns when the next claim may go: at once unless the last two were empty, or
    /// both took several items and less than they had room for.
    public func wait() async {
        guard let lastClaimAt else { return }
        let spacing: Duration
        if partialInARow >= 2 {
            spacing = afterPartial
        } else if emptyInARow >= 2 {
            spacing = afterEmpty
        } else {
            return
        }
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
