import Logging
import PostgresNIO

// Every statement of the store goes through here, on a pooled connection, bounded twice
// (see `answered(startingWithin:within:_:)`): `connectionWait` for a connection, and
// `statementDeadline` for the answer.

extension PostgresStore {
    /// How long a statement may take before its caller stops waiting for it.
    static let statementDeadline: Duration = .seconds(30)

    /// `body` on a pooled connection, within the store's bounds.
    func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let client = client
        return try await answered(startingWithin: connectionWait, within: Self.statementDeadline) { started in
            try await client.withConnection { connection in
                started()
                return try await body(connection)
            }
        }
    }

    /// `body` in a transaction on a pooled connection, within the store's bounds. The
    /// body's own error is rethrown rather than PostgresNIO's wrapper, so callers can
    /// switch on ``LongrunError`` codes.
    func withTransaction<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let logger = logger
        return try await withConnection { connection in
            do {
                return try await connection.withTransaction(logger: logger) { try await body($0) }
            } catch let error as PostgresTransactionError {
                throw error.closureError ?? error
            }
        }
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
