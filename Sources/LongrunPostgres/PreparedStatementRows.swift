import Logging
import LongrunCore
import PostgresNIO
import Synchronization

// The statements every operation passes through (create, claim, heartbeat, progress,
// ending, webhook claim and settle, read by id) are `PostgresPreparedStatement`s:
// PostgreSQL parses and plans each once per connection instead of on every call. Their
// SQL is written with `$n` placeholders, so these few depart from `PostgresQuery`
// interpolation; every value is still a bind. Measured in docs/benchmarks.md
// ("Prepared statements and batched creates").

extension PostgresStore {
    /// How long a hot statement may take before its caller stops waiting for it.
    static let statementDeadline: Duration = .seconds(30)

    /// Runs a prepared statement and reads every row, within ``statementDeadline``.
    func rows<Statement: PostgresPreparedStatement>(
        _ statement: Statement
    ) async throws -> [Statement.Row] where Statement.Row: Sendable {
        let client = client
        let logger = logger
        return try await answered(within: Self.statementDeadline) {
            try await client.execute(statement, logger: logger).allRows()
        }
    }
}

/// A statement whose one bind, `$1`, is a JSON array of rows that it reads with
/// `jsonb_to_recordset`: how a batch of any size travels in one fixed statement.
protocol RecordsetStatement: PostgresPreparedStatement {
    var recordset: JSONValue { get }
}

extension RecordsetStatement {
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        try bindings.append(recordset)
        return bindings
    }
}

extension AsyncSequence {
    /// Every element, in order: the rows of a prepared statement.
    func allRows() async throws -> [Element] {
        try await reduce(into: []) { $0.append($1) }
    }
}

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
