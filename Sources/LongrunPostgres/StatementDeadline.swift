import Synchronization

/// The database did not answer within the deadline. Callers treat it as the database
/// being out of reach (the API answers 503, loops try again on a fresh connection).
public struct StatementDeadlineExceeded: Error, CustomStringConvertible {
    public let deadline: Duration
    public var description: String { "the database did not answer within \(deadline)" }
}

/// `body`'s answer, or ``StatementDeadlineExceeded`` once `deadline` passes, whichever
/// comes first. An overrun `body` is left behind, not awaited: PostgresNIO 1.33 can
/// lend a connection in the instant it dies, and a query written to it never returns;
/// without a bound, one such query stopped a worker's progress writes (and with them
/// its handlers) for good while its heartbeats kept the leases alive. The caller's
/// cancellation is passed on to `body`.
///
/// A statement that overran may still commit later; callers treat the error like a lost
/// connection (fenced writes, idempotency keys), as they must for any lost answer.
func answered<Value: Sendable>(
    within deadline: Duration, _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let work = Task { try await body() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            let answer = FirstAnswer(continuation)
            let timer = Task {
                try await Task.sleep(for: deadline)
                answer.give(.failure(StatementDeadlineExceeded(deadline: deadline)))
            }
            Task {
                let result = await work.result
                timer.cancel()
                answer.give(result)
            }
        }
    } onCancel: {
        work.cancel()
    }
}

/// Resumes a continuation with the first result given to it; later ones are dropped.
private final class FirstAnswer<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, any Error>?>

    init(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func give(_ result: Result<Value, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}
