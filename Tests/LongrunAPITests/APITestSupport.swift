import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import LongrunAPI
import LongrunCore
import LongrunPostgres
import LongrunTesting
import LongrunWorker

/// An API node on a fresh database, served over real HTTP on loopback, with an API key
/// for the tenant `acme` (and one for `globex`, to try crossing tenants).
struct APIHarness: Sendable {
    let database: TestDatabase
    let store: PostgresStore
    let client: any TestClientProtocol
    let acme: String
    let globex: String
    /// The routes the node registered.
    let routes: RouteTable

    static func run(
        configuration: APIConfiguration = .init(allowPrivateCallbacks: true),
        _ body: @Sendable (APIHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let acme = try await issueKey(store, tenant: "acme")
                let globex = try await issueKey(store, tenant: "globex")
                let routes = RouteTable()
                let app = try buildAPI(
                    configuration: configuration, store: store, registry: .demoKinds, services: [store.publisher],
                    routes: routes, logger: Logger(label: "longrun.test.api")
                )
                try await app.test(.live) { client in
                    try await body(
                        APIHarness(
                            database: database, store: store, client: client, acme: acme, globex: globex,
                            routes: routes
                        )
                    )
                }
            }
        }
    }

    private static func issueKey(_ store: PostgresStore, tenant name: String) async throws -> String {
        let tenant = try await store.ensureTenant(named: name)
        let key = APIKey.generate()
        try await store.addAPIKey(key, tenantID: tenant.id)
        return key.text
    }

    /// Sends a request as `acme` (or with `key`), a JSON body when given.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, key: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if headers[.authorization] == nil { headers[.authorization] = "Bearer \(key ?? acme)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }
        )
    }

    /// Creates a `demo.sleep` operation that will not finish by itself, and returns its id.
    func createSleeper(_ extra: String = "") async throws -> String {
        let response = try await send(
            .post, "/v1/operations", json: #"{"kind":"demo.sleep","input":{"seconds":3600}\#(extra)}"#)
        guard response.status == .accepted else { throw TestSupportError("create answered \(response.status)") }
        return try response.json()["id"]?.stringValue ?? ""
    }

    func operationCount() async throws -> Int {
        try await database.count("SELECT count(*) FROM operations")
    }
}

extension TestResponse {
    /// The body as a JSON object.
    func json() throws -> [String: JSONValue] {
        guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)) else {
            throw TestSupportError("the body is not a JSON object: \(String(buffer: body))")
        }
        return object
    }

    /// The problem document's fields, checking its content type.
    func problem() throws -> (title: String, detail: String, fields: [String]) {
        guard headers[.contentType] == "application/problem+json" else {
            throw TestSupportError(
                "not a problem document: \(headers[.contentType] ?? "no type") \(String(buffer: body))")
        }
        let object = try json()
        let fields: [String]
        if case .array(let errors)? = object["errors"] {
            fields = errors.compactMap { if case .object(let error) = $0 { error["field"]?.stringValue } else { nil } }
        } else {
            fields = []
        }
        return (object["title"]?.stringValue ?? "", object["detail"]?.stringValue ?? "", fields)
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
