import Logging
import LongrunCore
import LongrunLocalPostgres
import Testing

@testable import LongrunPostgres

/// Every statement of the store is bounded twice: the wait for a pooled connection
/// (PostgresNIO's pool holds a request through a minute of failed connection attempts),
/// and the answer (a query written to a connection in the instant it dies never returns
/// in PostgresNIO 1.33).
@Suite struct StatementDeadlineTests {
    @Test func anAnswerInTimeIsPassedOn() async throws {
        #expect(
            try await answered(startingWithin: .seconds(5), within: .seconds(5)) { started in
                started()
                return 42
            } == 42)
        await #expect(throws: CancellationError.self) {
            try await answered(startingWithin: .seconds(5), within: .seconds(5)) {
                started -> Int in
                started()
                throw CancellationError()
            }
        }
    }

    @Test func aBodyThatNeverGetsItsConnectionIsCancelledAtTheWait() async throws {
        let (ended, end) = AsyncStream<Bool>.makeStream()
        await #expect(throws: ConnectionWaitExceeded.self) {
            try await answered(startingWithin: .milliseconds(50), within: .seconds(60)) { _ -> Int in
                // Stands for the pool's queue: only cancellation ends this wait.
                let cancelled = (try? await Task.sleep(for: .seconds(60))) == nil
                end.yield(cancelled)
                end.finish()
                return 0
            }
        }
        var iterator = ended.makeAsyncIterator()
        #expect(await iterator.next() == true, "the wait for a connection must be withdrawn")
    }

    @Test func aStartedBodyThatNeverAnswersEndsInDeadlineExceededAndIsLeftBehind() async throws {
        let (never, release) = AsyncStream<Int>.makeStream()
        let (ended, end) = AsyncStream<Bool>.makeStream()
        await #expect(throws: StatementDeadlineExceeded.self) {
            try await answered(startingWithin: .milliseconds(20), within: .milliseconds(80)) { started in
                started()
                for await _ in never {}
                end.yield(Task.isCancelled)
                end.finish()
                return 0
            }
        }
        release.finish()
        var iterator = ended.makeAsyncIterator()
        #expect(await iterator.next() == false, "a statement already sent is not cancelled at the deadline")
    }

    @Test func theCallersCancellationReachesTheBody() async throws {
        let waiting = Task {
            try await answered(startingWithin: .seconds(60), within: .seconds(60)) { started in
                started()
                try await Task.sleep(for: .seconds(60))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    /// Without the wait, this read waited about a minute (the pool's circuit breaker).
    @Test func aStoreWhoseDatabaseIsUnreachableGivesUpAfterItsConnectionWait() async throws {
        let logger = Logger(label: "longrun.test")
        // Nothing listens on a port we just saw free.
        let url = "postgres://postgres:x@127.0.0.1:\(try freeLoopbackPort())/none?sslmode=disable"
        try await withPostgresClient(url: url, logger: logger) { client in
            let store = try PostgresStore(
                client: client, url: try DatabaseURL(url), connectionWait: .milliseconds(200), logger: logger)
            let started = ContinuousClock.now
            do {
                _ = try await store.tenant(authenticatedBy: APIKey.generate())
                Issue.record("a read of an unreachable database answered")
            } catch {
                #expect(error is ConnectionWaitExceeded, "\(error)")
                #expect(store.isUnavailable(error))
            }
            // The bound is 200 ms; the breaker it replaces is 60 s. The margin is for a loaded machine.
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }
}
