import LongrunCore
import Testing

/// A claim after two empty ones, or after two that took several items and less than they
/// had room for, waits out the spacing; in every other pattern it goes at once.
struct ClaimSpacingTests {
    /// Each pattern waits its own spacing: the other one is zero.
    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            ([0, 0], ClaimSpacing(afterEmpty: .milliseconds(300), afterPartial: .zero)),
            ([3, 2], ClaimSpacing(afterEmpty: .zero, afterPartial: .milliseconds(300))),
        ])
    func twoEmptyOrTwoPartialClaimsInARowHoldTheNextOneBack(takes: [Int], spacing: ClaimSpacing) async {
        var spacing = spacing
        spacing.claimed(takes[0], of: 10)
        let start = ContinuousClock.now
        spacing.claimed(takes[1], of: 10)
        await spacing.wait()
        // Never sooner than the spacing (later is fine: the machine may be slow).
        #expect(ContinuousClock.now - start >= .milliseconds(300))
    }

    /// An hour's spacing: the time limit fails the test if any of these patterns held
    /// the next claim back.
    @Test(.timeLimit(.minutes(1))) func otherPatternsClaimAtOnce() async {
        var hour = ClaimSpacing(afterEmpty: .seconds(3600), afterPartial: .seconds(3600))
        await hour.wait()
        // One operation at a time, whether or not the freed slot's claim comes between.
        for _ in 0..<3 {
            hour.claimed(1, of: 4)
            await hour.wait()
            hour.claimed(0, of: 4)
            await hour.wait()
            hour.claimed(1, of: 4)
            await hour.wait()
        }
        // A drain: every claim fills the slots it asked for.
        for _ in 0..<3 {
            hour.claimed(100, of: 100)
            await hour.wait()
        }
        // Two empty claims, then one that found work; two partial, then a full one.
        hour.claimed(0, of: 4)
        hour.claimed(0, of: 4)
        hour.claimed(1, of: 4)
        await hour.wait()
        hour.claimed(2, of: 4)
        hour.claimed(3, of: 4)
        hour.claimed(4, of: 4)
        await hour.wait()
    }
}
