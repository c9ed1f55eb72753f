import Logging
import PostgresNIO

// Every statement of the store goes through here, on a pooled connection, bounded twice
// (see `answered(startingWithin:within:_:)`): `connectionWait` for a connection, and
// `PoolSettings.statementDeadline` for the answer.

extension PostgresStore {
    /// `body` on a pooled connection, within the store's bounds.
    func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let client = client
        return try await answered(startingWithin: connectionWait, within: PoolSettings.statementDeadline) { started in
            try await client.withConnection { connection in
                started()
                return try await body(connection)
            }
        }
    }

    /// `body` in a transaction on a pooled connection, within the store's bounds; see
    /// ``inUnwrappedTransaction(on:logger:_:)``.
    func withTransaction<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let logger = logger
        return try await withConnection { try await inUnwrappedTransaction(on: $0, logger: logger, body) }
    }

    /// Runs `query` and reads every row.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let logger = logger
        return try await withConnection { try await $0.query(query, logger: logger).collect() }
    }

    /// Runs a prepared statement and reads every row.
    func rows<Statement: PostgresPreparedStatement>(
        _ statement: Statement
    ) async throws -> [Statement.Row] where Statement.Row: Sendable {
        let logger = logger
        return try await withConnection { try await $0.execute(statement, logger: logger).allRows() }
    }
}
