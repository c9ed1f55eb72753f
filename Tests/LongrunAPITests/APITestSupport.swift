import AsyncHTTPClient
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
    /// The node's change feed, to see how many waiters it holds.
    let feed: ChangeFeed

    var watchers: Int { feed.count }

    /// Returns once the node holds `count` long polls and streams.
    func waitForWatchers(_ count: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while watchers < count {
            guard ContinuousClock.now < deadline else {
                throw TestSupportError("the node holds \(watchers) waiters, not \(count)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    static func run(
        configuration: APIConfiguration = .init(allowPrivateCallbacks: true),
        _ body: @Sendable (APIHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let acme = try await issueKey(store, tenant: "acme")
                let globex = try await issueKey(store, tenant: "globex")
                let routes = RouteTable()
                let logger = Logger(label: "longrun.test.api")
                let feed = ChangeFeed(source: store, limit: configuration.maxWatchers, logger: logger)
                let app = try buildAPI(
                    configuration: configuration, store: store, registry: .demoKinds, services: [store.publisher],
                    routes: routes, changeFeed: feed, logger: logger
                )
                try await app.test(.live) { client in
                    try await body(
                        APIHarness(
                            database: database, store: store, client: client, acme: acme, globex: globex,
                            routes: routes, feed: feed
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

    /// Claims the operation as a worker would; its lease token.
    func claim(_ id: UUID) async throws -> UUID {
        let claimed = try await store.claim(
            ClaimRequest(workerID: UUID(), slots: 1, queues: ["default"], kinds: ["demo.sleep"], lease: .seconds(60)))
        guard let operation = claimed.first, operation.id == id else {
            throw TestSupportError("the operation was not claimed")
        }
        return operation.leaseToken
    }

    /// Claims and completes the operation as a worker would.
    func finish(_ id: UUID, result: JSONValue) async throws {
        guard try await store.complete(id: id, leaseToken: try await claim(id), result: result) else {
            throw TestSupportError("the completion did not take")
        }
    }

    /// Runs `body` with a client that opens as many connections as requests in flight
    /// (the test client sends one request at a time): for waits held concurrently and
    /// streams read as they arrive.
    func withConcurrentClient<Result: Sendable>(
        _ body: @Sendable (ConcurrentClient) async throws -> Result
    ) async throws -> Result {
        let files = raiseOpenFileLimit(to: 8192)
        guard files >= 2500 else {
            throw TestSupportError("the open-file limit (\(files)) is too low for this test; raise ulimit -n")
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 2000)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            guard let port = client.port else { throw TestSupportError("the test client has no port") }
            let result = try await body(ConcurrentClient(http: http, base: "http://127.0.0.1:\(port)", key: acme))
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
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
    func problem() throws -> (title: String, detail: String, fields: [String], messages: [String]) {
        guard headers[.contentType] == "application/problem+json" else {
            throw TestSupportError(
                "not a problem document: \(headers[.contentType] ?? "no type") \(String(buffer: body))")
        }
        let object = try json()
        var errors: [[String: JSONValue]] = []
        if case .array(let list)? = object["errors"] {
            errors = list.compactMap { if case .object(let error) = $0 { error } else { nil } }
        }
        return (
            object["title"]?.stringValue ?? "", object["detail"]?.stringValue ?? "",
            errors.compactMap { $0["field"]?.stringValue }, errors.compactMap { $0["message"]?.stringValue }
        )
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

/// Plain requests to the node under test, each on a connection of its own when needed.
struct ConcurrentClient: Sendable {
    let http: HTTPClient
    let base: String
    let key: String

    func request(_ path: String, headers: [String: String] = [:]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: base + path)
        request.headers.add(name: "authorization", value: "Bearer \(key)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// A GET, read to its end.
    func get(
        _ path: String, headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: String) {
        try await send(request(path, headers: headers))
    }

    /// A POST of a JSON body, read to its end.
    func post(
        _ path: String, json: String, headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = request(
            path, headers: headers.merging(["content-type": "application/json"]) { first, _ in first })
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: json))
        return try await send(request)
    }

    private func send(
        _ request: HTTPClientRequest
    ) async throws -> (status: Int, headers: [String: String], body: String) {
        let response = try await http.execute(request, timeout: .seconds(90))
        let body = try await response.body.collect(upTo: 16 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return (Int(response.status.code), fields, String(buffer: body))
    }
}
