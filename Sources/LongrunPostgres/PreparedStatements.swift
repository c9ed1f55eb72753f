import Logging
import PostgresNIO

// The statements every operation passes through (create, claim, heartbeat, progress,
// ending, webhook claim and settle, read by id) are `PostgresPreparedStatement`s:
// PostgreSQL parses and plans each once per connection instead of on every call. Their
// SQL is written with `$n` placeholders, so these few depart from `PostgresQuery`
// interpolation; every value is still a bind. Measured in docs/benchmarks.md
// ("Prepared statements and batched creates").

/// A prepared statement that lists its values in the order of its `$1, $2, …`; the
/// bindings follow from the list. Batches travel as one JSON array read with
/// `jsonb_to_recordset`, so a statement of any batch size has a fixed text.
protocol BoundStatement: PostgresPreparedStatement {
    var binds: [any PostgresThrowingDynamicTypeEncodable] { get }
}

extension BoundStatement {
    func makeBindings() throws -> PostgresBindings {
        let values = binds
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { try bindings.append(value) }
        return bindings
    }
}

extension AsyncSequence {
    /// Every element, in order: the rows of a prepared statement.
    func allRows() async throws -> [Element] {
        try await reduce(into: []) { $0.append($1) }
    }
}
