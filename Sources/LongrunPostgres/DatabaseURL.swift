import Foundation
import LongrunCore
import PostgresNIO

extension PostgresClient.Configuration {
    /// Reads a `postgres://user:password@host:port/database?sslmode=…` URL, the form of
    /// `DATABASE_URL` that every PostgreSQL tool accepts.
    ///
    /// `sslmode` is `disable`, `prefer` (the default, as libpq) or `require`; a
    /// `host=/path` query item selects a Unix socket folder instead of TCP.
    public init(url text: String) throws(LongrunError) {
        guard let components = URLComponents(string: text),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            throw LongrunError(.invalidInput, "DATABASE_URL must look like postgres://user:password@host:5432/database")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") },
            uniquingKeysWith: { _, last in last }
        )
        let username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding }
        var database = String(components.path.drop { $0 == "/" })
        database = database.removingPercentEncoding ?? database
        let databaseName = database.isEmpty ? nil : database

        if let socketFolder = query["host"], socketFolder.hasPrefix("/") {
            let port = components.port ?? 5432
            self.init(
                unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)",
                username: username,
                password: password,
                database: databaseName
            )
            return
        }
        let tls: TLS
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let other:
            throw LongrunError(.invalidInput, "DATABASE_URL has sslmode=\(other); use disable, prefer or require")
        }
        self.init(
            host: components.host ?? "127.0.0.1",
            port: components.port ?? 5432,
            username: username,
            password: password,
            database: databaseName,
            tls: tls
        )
    }
}
