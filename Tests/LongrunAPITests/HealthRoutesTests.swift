import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import LongrunAPI
import LongrunCore
import LongrunLocalPostgres
import LongrunPostgres
import LongrunTesting
import LongrunWorker
import NIOCore
import Testing

@Suite struct HealthRoutesTests {
    let logger = Logger(label: "longrun.test.api")

    @Test func healthzAndReadyzAnswer200OnAMigratedDatabase() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let app = try buildAPI(
                    configuration: .init(readinessTimeout: .seconds(30)), store: store, registry: .demoKinds,
                    logger: logger)
                try await app.test(.router) { client in
                    try await client.execute(uri: "/healthz", method: .get) { response in
                        #expect(response.status == .ok)
                        #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
                    }
                    try await client.execute(uri: "/readyz", method: .get) { response in
                        #expect(response.status == .ok)
                    }
                }
            }
        }
    }

    @Test func readyzIs503WhileMigrationsArePending() async throws {
        try await TestDatabase.with(migrated: false) { database in
            try await database.withStore { store in
                let app = try buildAPI(
                    configuration: .init(readinessTimeout: .seconds(30)), store: store, registry: .demoKinds,
                    logger: logger)
                try await app.test(.router) { client in
                    try await client.execute(uri: "/readyz", method: .get) { response in
                        #expect(response.status == .serviceUnavailable)
                        #expect(response.headers[.contentType] == "application/problem+json")
                        let problem = try JSONDecoder().decode(ProblemDocument.self, from: Data(buffer: response.body))
                        #expect(problem.status == 503)
                        #expect(problem.title == "Migrations pending")
                        #expect(problem.detail.contains("0001_schema_migrations.sql"))
                    }
                    // Liveness does not depend on the database.
                    try await client.execute(uri: "/healthz", method: .get) { response in
                        #expect(response.status == .ok)
                    }
                }
            }
        }
    }

    @Test func whileTheDatabaseIsUnreachableRequestsAnswer503WithRetryAfter() async throws {
        let url = "postgres://postgres:x@127.0.0.1:\(try freeLoopbackPort())/none?sslmode=disable"
        try await withPostgresClient(url: url, logger: logger) { client in
            // Each request waits this long for a connection, then answers 503.
            let store = try PostgresStore(
                client: client, url: try DatabaseURL(url), connectionWait: .milliseconds(500), logger: logger)
            let app = try buildAPI(configuration: .init(), store: store, registry: .demoKinds, logger: logger)
            try await app.test(.router) { client in
                for (method, body) in [(HTTPRequest.Method.get, ""), (.post, #"{"kind":"demo.noop"}"#)] {
                    try await client.execute(
                        uri: "/v1/operations", method: method,
                        headers: [.authorization: "Bearer lr_any", .contentType: "application/json"],
                        body: ByteBuffer(string: body)
                    ) { response in
                        #expect(response.status == .serviceUnavailable)
                        #expect(response.headers[.retryAfter] == "5")
                        let problem = try JSONDecoder().decode(ProblemDocument.self, from: Data(buffer: response.body))
                        #expect(problem.title == "Database unavailable")
                        #expect(!problem.detail.contains("postgres:x"))
                    }
                }
            }
        }
    }

    @Test func readyzIs503WhenTheDatabaseIsUnreachable() async throws {
        // Nothing listens on a port we just saw free.
        let url = "postgres://postgres:x@127.0.0.1:\(try freeLoopbackPort())/none?sslmode=disable"
        try await withPostgresClient(url: url, logger: logger) { client in
            let store = try PostgresStore(client: client, url: try DatabaseURL(url), logger: logger)
            let app = try buildAPI(
                configuration: .init(readinessTimeout: .milliseconds(300)), store: store, registry: .demoKinds,
                logger: logger)
            try await app.test(.router) { client in
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    let problem = try JSONDecoder().decode(ProblemDocument.self, from: Data(buffer: response.body))
                    #expect(problem.title == "Database unreachable")
                    #expect(!problem.detail.contains("postgres:x"))
                }
            }
        }
    }
}

struct ProblemDocument: Decodable {
    var type: String
    var title: String
    var status: Int
    var detail: String
}
