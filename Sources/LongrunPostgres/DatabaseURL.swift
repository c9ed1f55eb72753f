import Foundation
import LongrunCore
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, the form of
/// `DATABASE_URL` that every PostgreSQL tool accepts: the pool's configuration, and a
/// way to open a connection outside the pool.
///
/// `sslmode` means what it means to libpq: `disable`; `prefer` (the default) and
/// `require` encrypt without checking the server's certificate; `verify-ca` checks it
/// against the system's trusted authorities, `verify-full` also checks the host name. A
/// `host=/path` query item selects a Unix socket folder instead of TCP.
public struct DatabaseURL: Sendable {
    private enum Endpoint {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    private enum TLSMode {
        case disable, prefer, require, verifyCA, verifyFull

        var configuration: TLSConfiguration {
            var configuration = TLSConfiguration.makeClientConfiguration()
            switch self {
            case .disable, .prefer, .require: configuration.certificateVerification = .none
            case .verifyCA: configuration.certificateVerification = .noHostnameVerification
            case .verifyFull: configuration.certificateVerification = .fullVerification
            }
            return configuration
        }
    }

    private let endpoint: Endpoint
    private let tls: TLSMode
    private let username: String
    private let password: String?
    private let database: String?

    public init(_ text: String) throws(LongrunError) {
        guard let components = URLComponents(string: text),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            throw LongrunError(.invalidInput, "DATABASE_URL must look like postgres://user:password@host:5432/database")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") },
            uniquingKeysWith: { _, last in last }
        )
        username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = String(components.path.drop { $0 == "/" })
        let name = path.removingPercentEncoding ?? path
        database = name.isEmpty ? nil : name

        if let socketFolder = query["host"], socketFolder.hasPrefix("/") {
            endpoint = .socket(path: "\(socketFolder)/.s.PGSQL.\(components.port ?? 5432)")
            tls = .disable
            return
        }
        endpoint = .tcp(host: components.host ?? "127.0.0.1", port: components.port ?? 5432)
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer
        case "require": tls = .require
        case "verify-ca": tls = .verifyCA
        case "verify-full": tls = .verifyFull
        case let other:
            throw LongrunError(
                .invalidInput,
                "DATABASE_URL has sslmode=\(other); use disable, prefer, require, verify-ca or verify-full")
        }
    }

    /// The pool's configuration.
    public var clientConfiguration: PostgresClient.Configuration {
        switch endpoint {
        case .socket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            let clientTLS: PostgresClient.Configuration.TLS
            switch tls {
            case .disable: clientTLS = .disable
            case .prefer: clientTLS = .prefer(tls.configuration)
            case .require, .verifyCA, .verifyFull: clientTLS = .require(tls.configuration)
            }
            return .init(
                host: host, port: port, username: username, password: password, database: database, tls: clientTLS)
        }
    }

    /// Opens a connection of its own, for a session that outlives any pooled lease (the
    /// LISTEN): when such a session dies, the pool never sees the dying connection.
    func connect(logger: Logger) async throws -> PostgresConnection {
        let configuration: PostgresConnection.Configuration
        switch endpoint {
        case .socket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            let connectionTLS: PostgresConnection.Configuration.TLS
            switch tls {
            case .disable: connectionTLS = .disable
            case .prefer: connectionTLS = .prefer(try NIOSSLContext(configuration: tls.configuration))
            case .require, .verifyCA, .verifyFull:
                connectionTLS = .require(try NIOSSLContext(configuration: tls.configuration))
            }
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database,
                tls: connectionTLS)
        }
        return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
    }
}

/// Never the password: a store, a service and anything holding them may be printed in a
/// log line (swift-service-lifecycle logs each service's description at debug level).
extension DatabaseURL: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let place =
            switch endpoint {
            case .tcp(let host, let port): "\(host):\(port)"
            case .socket(let path): path
            }
        return "postgres://\(username)\(password == nil ? "" : ":••••")@\(place)/\(database ?? "")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["url": description]) }
}
