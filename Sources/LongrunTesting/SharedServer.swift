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

    /// Runs `body` on a single connection to the server's maintenance database, for
    /// statements such as CREATE DATABASE that cannot run inside a transaction.
    static func administer(
        serverURL: String,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Void
    ) async throws {
        let configuration = try PostgresClient.Configuration(url: serverURL)
        guard let host = configuration.host, let port = configuration.port else {
            throw TestSupportError("the test database URL must name a TCP host and port")
        }
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: host, port: port, username: configuration.username, password: configuration.password,
                database: configuration.database, tls: .disable
            ),
            id: 1,
            logger: logger
        )
        do {
            try await body(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
