import LongrunCore
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(base: .seconds(1), cap: .seconds(60))

    @Test func delaysDoubleFromTheBaseUpToTheCapWithJitterInTheUpperHalf() {
        #expect(policy.delay(afterAttempt: 1, random: 0) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 1, random: 0.999_999) == .milliseconds(999))
        #expect(policy.delay(afterAttempt: 2, random: 0) == .seconds(1))
        #expect(policy.delay(afterAttempt: 4, random: 0) == .seconds(4))
        #expect(policy.delay(afterAttempt: 7, random: 0) == .seconds(30))
        #expect(policy.delay(afterAttempt: 7, random: 0.999_999) < .seconds(60))
        #expect(policy.delay(afterAttempt: 1000, random: 0) == .seconds(30))
    }

    @Test func drawsSpreadTheDelays() {
        let delays = Set((0..<50).map { _ in policy.delay(afterAttempt: 3) })
        #expect(delays.count > 10)
        #expect(delays.allSatisfy { (.seconds(2)...(.seconds(4))).contains($0) })
    }
}

@Suite struct DurationFormatTests {
    @Test(arguments: [
        (Duration.milliseconds(250), "250ms"), (.seconds(5), "5s"), (.seconds(120), "2m"), (.seconds(3600), "1h"),
        (.seconds(2 * 86400), "2d"), (.milliseconds(1500), "1500ms"), (.zero, "0ms"),
    ])
    func formatsTheShortestTextThatParsesBack(duration: Duration, text: String) {
        #expect(DurationText.format(duration) == text)
        #expect(DurationText.parse(text) == duration)
    }
}
