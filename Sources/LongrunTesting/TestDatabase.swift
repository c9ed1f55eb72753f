import Foundation
import Logging
import LongrunCore
import LongrunLocalPostgres
import LongrunPostgres
import PostgresNIO

/// A database of its own for one test, on a real PostgreSQL: the server named by
/// `LONGRUN_TEST_DATABASE_URL` (its user needs CREATEDB), or else a private server that
/// the test process starts on first use and stops when it exits.
///
/// ```swift
/// try await TestDatabase.with { database in
///     try await database.withStore { store in … }
/// }
/// ```
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String
    public let logger: Logger

    /// Creates a fresh database (migrated unless told otherwise), runs `body`, drops it;
    /// holds one of the suite's ``TestSlots`` meanwhile.
    public static func with<Result: Sendable>(
        migrated: Bool = true,
        _ body: @Sendable (TestDatabase) async throws -> Result
    ) async throws -> Result {
        try await TestSlots.with { try await withFreshDatabase(migrated: migrated, body) }
    }

    private static func withFreshDatabase<Result: Sendable>(
        migrated: Bool, _ body: @Sendable (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let server = try await SharedServer.shared.url()
        let name = "longrun_test_" + UUID().lowercasedText.replacingOccurrences(of: "-", with: "")
        let logger = Logger(label: "longrun.test")
        try await SharedServer.administer(
            serverURL: server,
            logger: logger,
            PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)")
        )
        let database = TestDatabase(name: name, url: try replacingDatabase(in: server, with: name), logger: logger)
        do {
            if migrated {
                _ = try await database.withStore { store in try await store.migrate() }
            }
            let result = try await body(database)
            try await database.drop(serverURL: server)
            return result
        } catch {
            try? await database.drop(serverURL: server)
            throw error
        }
    }

    /// Runs `body` with a store on this database.
    public func withStore<Result: Sendable>(
        _ body: @Sendable (PostgresStore) async throws -> Result
    ) async throws
        -> Result
    {
        try await withPostgresStore(url: url, logger: logger, body)
    }

    private func drop(serverURL: String) async throws {
        try await SharedServer.administer(
            serverURL: serverURL,
            logger: logger,
            PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        )
    }
}

/// `url` with its database path replaced.
func replacingDatabase(in url: String, with database: String) throws -> String {
    guard var components = URLComponents(string: url) else { throw TestSupportError("not a database URL: \(url)") }
    components.path = "/" + database
    return components.string ?? url
}

/// A test could not get what it needs from its environment.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension TestDatabase {
    /// Runs a query of a test's own (to look behind the store) and returns its rows.
    public func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withPostgresClient(url: url, logger: logger) { client in
            try await client.query(query, logger: logger).collect()
        }
    }

    /// The single integer a `SELECT count(*) …` answers.
    public func count(_ query: PostgresQuery) async throws -> Int {
        guard let row = try await rows(query).first else { throw TestSupportError("the query returned no row") }
        return try row.decode(Int.self)
    }
}
