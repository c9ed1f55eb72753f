import Synchronization

/// The database did not answer within the deadline. Callers treat it as the database
/// being out of reach (the API answers 503, loops try again on a fresh connection).
public struct StatementDeadlineExceeded: Error, CustomStringConvertible {
    public let deadline: Duration
    public var description: String { "the database did not answer within \(deadline)" }
}

/// No pooled connection came free within the wait: the pool cannot reach the database,
/// or every connection stayed busy. Nothing was sent; callers answer it like an
/// unreachable database (503, or another try).
public struct ConnectionWaitExceeded: Error, CustomStringConvertible {
    public let wait: Duration
    public var description: String { "no database connection came free within \(wait)" }
}

/// `body`'s answer, or an error once one of two bounds passes, whichever comes first:
///
/// - ``ConnectionWaitExceeded`` when `body` has not called `started` within `wait`.
///   `body` is then cancelled: it was still waiting for a connection and has sent
///   nothing. PostgresNIO's pool keeps a request waiting through a minute of failed
///   connection attempts before it fails it; an API request should hear 503 long before.
/// - ``StatementDeadlineExceeded`` at `deadline`. An overrun `body` is left behind, not
///   awaited: PostgresNIO 1.33 can lend a connection in the instant it dies, and a query
///   written to it never returns; without a bound, one such query stopped a worker's
///   progress writes (and with them its handlers) for good while its heartbeats kept the
///   leases alive. A statement that overran may still commit later; callers treat the
///   error like a lost connection (fenced writes, idempotency keys), as they must for
///   any lost answer.
///
/// The caller's cancellation is passed on to `body`.
func answered<Value: Sendable>(
    startingWithin wait: Duration, within deadline: Duration,
    _ body: @escaping @Sendable (_ started: @escaping @Sendable () -> Void) async throws -> Value
) async throws -> Value {
    let answer = FirstAnswer<Value>()
    let started = StartFlag()
    // The body's own task answers the caller directly: one hop, not a relay, since every
    // heartbeat and claim goes through here.
    let work = Task {
        do {
            answer.give(.success(try await body { started.set() }))
        } catch {
            answer.give(.failure(error))
        }
    }
    // The wait counts towards the deadline, so it ends no later.
    let wait = min(wait, deadline)
    let timer = Task {
        try await Task.sleep(for: wait)
        if !started.isSet {
            answer.give(.failure(ConnectionWaitExceeded(wait: wait)))
            work.cancel()
            return
        }
        try await Task.sleep(for: deadline - wait)
        answer.give(.failure(StatementDeadlineExceeded(deadline: deadline)))
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { answer.wait($0) }
    } onCancel: {
        work.cancel()
    }
}

/// Whether a bounded body has got its connection.
private final class StartFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// The first result given, handed to the waiting continuation whether it comes before
/// or after the continuation does; later results are dropped.
private final class FirstAnswer<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, any Error>)
        case given(Result<Value, any Error>)
        case done
    }

    private let state = Mutex(State.empty)

    func wait(_ continuation: CheckedContinuation<Value, any Error>) {
        let early: Result<Value, any Error>? = state.withLock { state in
            guard case .given(let result) = state else {
                state = .waiting(continuation)
                return nil
            }
            state = .done
            return result
        }
        if let early { continuation.resume(with: early) }
    }

    func give(_ result: Result<Value, any Error>) {
        let waiting: CheckedContinuation<Value, any Error>? = state.withLock { state in
            switch state {
            case .empty:
                state = .given(result)
                return nil
            case .waiting(let continuation):
                state = .done
                return continuation
            case .given, .done:
                return nil
            }
        }
        waiting?.resume(with: result)
    }
}
