import LongrunCore
import Testing

/// A claim after two empty ones waits out the spacing; after one that found work, or a
/// single empty one, it goes at once.
struct ClaimSpacingTests {
    @Test(.timeLimit(.minutes(1))) func onlyTwoEmptyClaimsInARowHoldTheNextOneBack() async {
        var spacing = ClaimSpacing(.milliseconds(300))
        spacing.claimed(0)
        let start = ContinuousClock.now
        spacing.claimed(0)
        await spacing.wait()
        // Never sooner than the spacing (later is fine: the machine may be slow).
        #expect(ContinuousClock.now - start >= .milliseconds(300))

        // An hour's spacing: the time limit fails the test if no claim yet, a single
        // empty claim, or a claim that found work held the next one back.
        var hour = ClaimSpacing(.seconds(3600))
        await hour.wait()
        hour.claimed(0)
        await hour.wait()
        hour.claimed(0)
        hour.claimed(1)
        await hour.wait()
        hour.claimed(0)
        await hour.wait()
    }
}
