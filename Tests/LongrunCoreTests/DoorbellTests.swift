import LongrunCore
import Testing

/// The doorbell every loop of a worker, a notifier and an API node's waits sleeps on: a
/// lost ring stalls a loop until its poll, and a lost timeout or cancellation hangs it.
/// The time limits fail a test whose wait does not end; an hour's timeout stands for
/// "only a ring or a cancellation can end this".
struct DoorbellTests {
    @Test(.timeLimit(.minutes(1))) func aRingBeforeTheWaitEndsItAtOnceAndCountsOnce() async {
        let doorbell = Doorbell()
        doorbell.ring()
        doorbell.ring()
        #expect(await doorbell.wait(upTo: .seconds(3600)))
        // The two rings counted as one: the next wait runs out its time.
        #expect(!(await doorbell.wait(upTo: .milliseconds(50))))
    }

    /// The ring races the wait's start: some land before it registers, some after. A
    /// lost one would leave the wait to its hour.
    @Test(.timeLimit(.minutes(1))) func aRingDuringTheWaitEndsIt() async {
        let doorbell = Doorbell()
        for round in 0..<400 {
            async let rung = doorbell.wait(upTo: .seconds(3600))
            if round.isMultiple(of: 2) { try? await Task.sleep(for: .microseconds(50)) }
            doorbell.ring()
            #expect(await rung)
        }
    }

    @Test(.timeLimit(.minutes(1))) func theTimeRunsOutWhenNobodyRings() async {
        let doorbell = Doorbell()
        let start = ContinuousClock.now
        #expect(!(await doorbell.wait(upTo: .milliseconds(200))))
        #expect(ContinuousClock.now - start >= .milliseconds(200))
    }

    /// Waits of different lengths on one doorbell: a short wait after a long one (rung
    /// early) still ends on time, and a long one after a short one is not cut short.
    @Test(.timeLimit(.minutes(1))) func everyWaitKeepsItsOwnTimeout() async {
        let doorbell = Doorbell()
        async let long = doorbell.wait(upTo: .seconds(3600))
        try? await Task.sleep(for: .milliseconds(20))
        doorbell.ring()
        #expect(await long)

        var start = ContinuousClock.now
        #expect(!(await doorbell.wait(upTo: .milliseconds(100))))
        #expect(ContinuousClock.now - start >= .milliseconds(100))

        async let short = doorbell.wait(upTo: .milliseconds(30))
        #expect(!(await short))
        start = ContinuousClock.now
        #expect(!(await doorbell.wait(upTo: .milliseconds(300))))
        #expect(ContinuousClock.now - start >= .milliseconds(300))
    }

    @Test(.timeLimit(.minutes(1))) func cancellingTheWaitingTaskEndsTheWait() async {
        let doorbell = Doorbell()
        let waiting = Task { await doorbell.wait(upTo: .seconds(3600)) }
        try? await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        #expect(!(await waiting.value))

        // Cancelled before it began: no wait at all.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await doorbell.wait(upTo: .seconds(3600))
        }
        #expect(!(await cancelled.value))

        // The doorbell still works afterwards.
        doorbell.ring()
        #expect(await doorbell.wait(upTo: .seconds(3600)))
    }
}
