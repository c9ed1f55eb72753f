import Testing

@testable import LongrunPostgres

/// A query written to a connection in the instant it dies never returns (PostgresNIO
/// 1.33); the store's hot statements stop waiting for it after a deadline.
@Suite struct StatementDeadlineTests {
    @Test func anAnswerInTimeIsPassedOn() async throws {
        #expect(try await answered(within: .seconds(5)) { 42 } == 42)
        await #expect(throws: CancellationError.self) {
            try await answered(within: .seconds(5)) { () async throws -> Int in throw CancellationError() }
        }
    }

    @Test func aBodyThatNeverAnswersEndsInDeadlineExceeded() async throws {
        let (never, continuation) = AsyncStream<Int>.makeStream()
        defer { continuation.finish() }
        await #expect(throws: StatementDeadlineExceeded.self) {
            try await answered(within: .milliseconds(50)) {
                for await value in never { return value }
                return 0
            }
        }
    }

    @Test func theCallersCancellationReachesTheBody() async throws {
        let waiting = Task {
            try await answered(within: .seconds(60)) {
                try await Task.sleep(for: .seconds(60))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}
