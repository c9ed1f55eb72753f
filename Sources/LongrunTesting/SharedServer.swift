import Foundation
import Logging
import LongrunLocalPostgres
import LongrunPostgres
import PostgresNIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The PostgreSQL server all tests of one process share.
actor SharedServer {
    static let shared = SharedServer()

    private var started: Task<String, any Error>?

    /// The server's URL, starting the private server on first use.
    func url() async throws -> String {
        if let started { return try await started.value }
        let task = Task { try await Self.start() }
        started = task
        return try await task.value
    }

    private static func start() async throws -> String {
        if let url = ProcessInfo.processInfo.environment["LONGRUN_TEST_DATABASE_URL"], !url.isEmpty {
            return url
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("longrun-tests-\(getuid())")
            .appendingPathComponent("postgres")
        let server = try await LocalPostgres.start(
            .init(folder: folder, durable: false),
            logger: Logger(label: "longrun.test.postgres")
        )
        // Never stopped explicitly: its watchdog stops it when the test process exits.
        return server.url(database: "postgres")
    }

    /// Runs a statement such as CREATE DATABASE on the server's maintenance database
    /// (outside any transaction, as those statements require).
    static func administer(serverURL: String, logger: Logger, _ statement: PostgresQuery) async throws {
        try await withPostgresClient(url: serverURL, logger: logger) { client in
            _ = try await client.query(statement, logger: logger)
        }
    }
}
