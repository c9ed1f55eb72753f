import LongrunCore
import Testing

/// Spaced rings: the first after a quiet spell at once, the rest folded into one ring
/// when the spacing is over.
struct DoorbellTests {
    @Test func aSpacedRingComesAtOnceThenFoldsTheNextOnesIntoOneLaterRing() async {
        let doorbell = Doorbell()
        let spacing = Duration.milliseconds(300)
        let start = ContinuousClock.now
        doorbell.ring(spacedBy: spacing)
        #expect(await doorbell.wait(upTo: .zero))

        for _ in 0..<5 { doorbell.ring(spacedBy: spacing) }
        #expect(await doorbell.wait(upTo: .seconds(30)))
        // Never sooner than the spacing after the first ring (later is fine: the machine may be slow).
        #expect(ContinuousClock.now - start >= spacing)
        // The five calls made one ring, not five.
        #expect(await doorbell.wait(upTo: .milliseconds(600)) == false)
    }

    @Test func aPlainRingIsNeverHeldBack() async {
        let doorbell = Doorbell()
        doorbell.ring(spacedBy: .seconds(60))
        #expect(await doorbell.wait(upTo: .zero))
        doorbell.ring(spacedBy: .seconds(60))
        doorbell.ring()
        #expect(await doorbell.wait(upTo: .seconds(30)))
    }
}
