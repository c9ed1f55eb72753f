import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LongrunAPI
import LongrunCore
import LongrunPostgres
import LongrunTesting
import Testing

@Suite struct CreateOperationTests {
    @Test func createAnswers202WithLocationRetryAfterAndTheResource() async throws {
        try await APIHarness.run { api in
            let response = try await api.send(
                .post, "/v1/operations",
                json:
                    #"{"kind":"demo.sleep","input":{"seconds":1,"steps":2},"metadata":{"client":"ctx"},"queue":"reports","priority":5,"max_attempts":4,"timeout_seconds":60}"#
            )
            #expect(response.status == .accepted)
            let body = try response.json()
            let id = try #require(body["id"]?.stringValue)
            #expect(UUID(uuidString: id) != nil)
            #expect(response.headers[.location] == "/v1/operations/\(id)")
            #expect(response.headers[HTTPField.Name("Operation-Location")!] == "/v1/operations/\(id)")
            #expect(response.headers[.retryAfter] == "1")
            #expect(body["status"] == .string("pending"))
            #expect(body["done"] == .bool(false))
            #expect(body["kind"] == .string("demo.sleep"))
            #expect(body["metadata"] == .object(["client": .string("ctx")]))
            #expect(body["queue"] == .string("reports"))
            #expect(body["priority"] == .integer(5))
            #expect(body["max_attempts"] == .integer(4))
            #expect(body["attempt"] == .integer(0))
            #expect(body["progress"] == .null)
            #expect(body["finished_at"] == .null)
            #expect(body["result"] == nil && body["error"] == nil)
            let created = try #require(body["created_at"]?.stringValue)
            #expect(created.hasSuffix("Z") && created.count == "2026-11-23T12:00:00.123Z".count)
            #expect(body["deadline"]?.stringValue != nil)
            #expect(try await api.operationCount() == 1)
        }
    }

    @Test func createWakesWorkersAfterTheCommit() async throws {
        try await APIHarness.run { api in
            try await api.database.withStore { store in
                try await store.withNotifications(on: [.work]) { notifications in
                    var iterator = notifications.makeAsyncIterator()
                    #expect(await iterator.next() == .subscribed)
                    _ = try await api.createSleeper(#","queue":"exports""#)
                    #expect(await iterator.next() == .received(.work, ["exports"]))
                }
            }
        }
    }

    /// JSON has one kind of number: a whole number written with a fraction is that integer.
    @Test func wholeNumbersWrittenWithAFractionAreIntegers() async throws {
        try await APIHarness.run { api in
            let response = try await api.send(
                .post, "/v1/operations", json: #"{"kind":"demo.noop","priority":58.0,"max_attempts":8e0}"#)
            #expect(response.status == .accepted)
            let body = try response.json()
            #expect(body["priority"] == .integer(58) && body["max_attempts"] == .integer(8))
        }
    }

    /// Each bad field, alone, answers 400 naming it, and nothing is stored.
    @Test(arguments: [
        (#"{"input":{}}"#, "kind"),
        (#"{"kind":7}"#, "kind"),
        (#"{"kind":"demo noop"}"#, "kind"),
        (#"{"kind":"demo.noop","surprise":1}"#, "surprise"),
        (#"{"kind":"demo.noop","queue":""}"#, "queue"),
        (#"{"kind":"demo.noop","queue":"a/b"}"#, "queue"),
        (#"{"kind":"demo.noop","priority":101}"#, "priority"),
        (#"{"kind":"demo.noop","priority":1.5}"#, "priority"),
        (#"{"kind":"demo.noop","priority":1e300}"#, "priority"),
        (#"{"kind":"demo.noop","max_attempts":100.5}"#, "max_attempts"),
        (#"{"kind":"demo.noop","priority":"high"}"#, "priority"),
        (#"{"kind":"demo.noop","max_attempts":0}"#, "max_attempts"),
        (#"{"kind":"demo.noop","max_attempts":1000}"#, "max_attempts"),
        (#"{"kind":"demo.noop","timeout_seconds":0}"#, "timeout_seconds"),
        (#"{"kind":"demo.noop","timeout_seconds":"1h"}"#, "timeout_seconds"),
        (#"{"kind":"demo.noop","metadata":[1]}"#, "metadata"),
        (#"{"kind":"demo.noop","callback_url":"ftp://example.com/x"}"#, "callback_url"),
        (#"{"kind":"demo.noop","callback_url":"not a url"}"#, "callback_url"),
        (#"{"kind":"demo.noop","callback_url":"https://user:pw@example.com/"}"#, "callback_url"),
        (#"{"kind":"demo.noop","callback_url":42}"#, "callback_url"),
        (#"[1,2]"#, "body"),
        (#"{"kind":"demo.noop""#, "body"),
    ])
    func badFieldsAnswer400NamingTheField(json: String, field: String) async throws {
        try await APIHarness.run { api in
            let response = try await api.send(.post, "/v1/operations", json: json)
            #expect(response.status == .badRequest)
            #expect(try response.problem().fields == [field])
            #expect(try await api.operationCount() == 0)
        }
    }

    @Test func metadataOverItsLimitIsRefused() async throws {
        try await APIHarness.run { api in
            let big = String(repeating: "x", count: 17 * 1024)
            let response = try await api.send(
                .post, "/v1/operations", json: #"{"kind":"demo.noop","metadata":{"a":"\#(big)"}}"#)
            #expect(response.status == .badRequest)
            #expect(try response.problem().fields == ["metadata"])
        }
    }

    @Test func unknownKindsAndInputTheKindRefusesAnswer422() async throws {
        try await APIHarness.run { api in
            let unknown = try await api.send(.post, "/v1/operations", json: #"{"kind":"demo.unknown"}"#)
            #expect(unknown.status == .unprocessableContent)
            #expect(try unknown.problem().fields == ["kind"])

            let refused = try await api.send(
                .post, "/v1/operations", json: #"{"kind":"demo.sleep","input":{"seconds":1,"steps":0}}"#
            )
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.problem().fields == ["input.steps"])

            let missing = try await api.send(.post, "/v1/operations", json: #"{"kind":"demo.sleep","input":{}}"#)
            #expect(missing.status == .unprocessableContent)
            #expect(try missing.problem().fields == ["input.seconds"])
            #expect(try await api.operationCount() == 0)
        }
    }

    @Test func bodiesOverTheLimitAnswer413() async throws {
        try await APIHarness.run { api in
            let padding = String(repeating: "x", count: 1 << 20)
            let response = try await api.send(
                .post, "/v1/operations", json: #"{"kind":"demo.noop","input":{"p":"\#(padding)"}}"#)
            #expect(response.status == .contentTooLarge)
            #expect(try response.problem().title == "Content Too Large")
            #expect(try await api.operationCount() == 0)
        }
    }

    @Test(arguments: [
        "http://127.0.0.1/hook", "http://localhost:8080/hook", "http://10.1.2.3/", "http://169.254.169.254/latest",
        "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0x7f.1/", "http://2130706433/", "http://0177.0.0.1/",
        "http://100.64.0.1/", "http://[fd00::1]/", "http://0.0.0.0/",
    ])
    func privateCallbacksAreRefusedByDefault(url: String) async throws {
        let mount = APIConfiguration.KindMount(path: "/noop", kind: "demo.noop", requiresWebhook: false)
        try await APIHarness.run(configuration: .init(mounts: [mount])) { api in
            let response = try await api.send(
                .post, "/v1/operations", json: #"{"kind":"demo.noop","callback_url":"\#(url)"}"#)
            #expect(response.status == .unprocessableContent, "\(url)")
            #expect(try response.problem().fields == ["callback_url"])
            let ouro = try await api.send(
                .post, "/v1/operations", json: #"{"kind":"demo.noop"}"#,
                headers: [HTTPField.Name("ouro-webhook-url")!: url]
            )
            #expect(ouro.status == .unprocessableContent, "\(url)")
            #expect(try ouro.problem().fields == ["ouro-webhook-url"])
            let query = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let mounted = try await api.send(.post, "/noop?callback_url=\(query)", json: "{}")
            #expect(mounted.status == .unprocessableContent, "\(url)")
            #expect(try mounted.problem().fields == ["callback_url"])
            #expect(try await api.operationCount() == 0)
        }
    }

    @Test func privateCallbacksPassWhenTheOperatorAllowsThem() async throws {
        try await APIHarness.run(configuration: .init(allowPrivateCallbacks: true)) { api in
            let response = try await api.send(
                .post, "/v1/operations", json: #"{"kind":"demo.noop","callback_url":"http://127.0.0.1:9/hook"}"#
            )
            #expect(response.status == .accepted)
            #expect(try response.json()["callback_url"] == .string("http://127.0.0.1:9/hook"))
        }
    }

    @Test func ouroHeadersAreStoredAndShownBackWithoutTheToken() async throws {
        try await APIHarness.run { api in
            let response = try await api.send(
                .post, "/v1/operations", json: #"{"kind":"demo.noop"}"#,
                headers: [
                    HTTPField.Name("ouro-webhook-url")!: "http://127.0.0.1:9/ouro",
                    HTTPField.Name("ouro-webhook-token")!: "secret-token",
                    HTTPField.Name("ouro-action-id")!: "action-1",
                    HTTPField.Name("ouro-route-id")!: "route-1",
                    HTTPField.Name("ouro-route-org-id")!: "org-1",
                    HTTPField.Name("ouro-route-team-id")!: "team-1",
                ]
            )
            #expect(response.status == .accepted)
            #expect(!String(buffer: response.body).contains("secret-token"))
            let body = try response.json()
            #expect(
                body["ouro"]
                    == .object([
                        "webhook_url": .string("http://127.0.0.1:9/ouro"), "action_id": .string("action-1"),
                        "route_id": .string("route-1"), "route_org_id": .string("org-1"),
                        "route_team_id": .string("team-1"),
                    ])
            )
            let id = try #require(body["id"]?.stringValue.flatMap(UUID.init(uuidString:)))
            let tenant = try #require(try await api.store.tenant(authenticatedBy: APIKey(text: api.acme)))
            let stored = try await api.store.operation(id: id, tenantID: tenant.id)
            #expect(stored?.ouro.webhookToken == "secret-token")
        }
    }

    /// Hostile bodies get a 400 that says what is wrong, never a 5xx or a crash, and
    /// store nothing: (what, body, a phrase the problem's message holds).
    static let hostileBodies: [(String, [UInt8], String)] = {
        let utf8: (String) -> [UInt8] = { Array($0.utf8) }
        let nested: (Int) -> [UInt8] = { utf8(String(repeating: "[", count: $0) + String(repeating: "]", count: $0)) }
        return [
            (
                "invalid UTF-8", utf8(#"{"kind":"demo.noop","metadata":{"a":""#) + [0xFF, 0xFE] + utf8(#""}}"#),
                "not valid UTF-8"
            ),
            ("a huge number", utf8(#"{"kind":"demo.noop","priority":1e400}"#), "too large"),
            ("a huge number in the input", utf8(#"{"kind":"demo.noop","input":{"n":-2e999}}"#), "too large"),
            ("deep nesting", nested(100_000), "deeper than 512"),
            ("nesting one level too deep", utf8(#"{"kind":"demo.noop","input":"#) + nested(512) + utf8("}"), "deeper"),
            ("a bare string", utf8(#""demo.noop""#), "must be a JSON object"),
            ("NUL bytes", utf8(#"{"kind":"demo.noop","#) + [0, 0] + utf8("}"), "quoted name"),
            ("an escaped NUL in the input", utf8(#"{"kind":"demo.noop","input":{"a":"x\u0000"}}"#), "\\u0000"),
            ("an escaped NUL in a metadata name", utf8(#"{"kind":"demo.noop","metadata":{"\u0000":1}}"#), "\\u0000"),
            ("a raw control character", utf8(#"{"kind":"demo.noop","queue":"a"#) + [0x01] + utf8(#""}"#), "control"),
            ("a lone surrogate", utf8(#"{"kind":"demo.noop","input":{"a":"\udc00"}}"#), "surrogate"),
            ("a name twice", utf8(#"{"kind":"demo.noop","kind":"demo.sleep"}"#), #"the name "kind" twice"#),
            ("a name twice, deep down", utf8(#"{"kind":"demo.noop","input":{"a":{"b":1,"b":2}}}"#), #""b" twice"#),
            ("text after the value", utf8(#"{"kind":"demo.noop"} {}"#), "after the JSON value"),
        ]
    }()

    @Test(arguments: hostileBodies)
    func hostileBodiesAnswer400(name: String, body: [UInt8], saying reason: String) async throws {
        try await APIHarness.run { api in
            let response = try await api.client.execute(
                uri: "/v1/operations", method: .post,
                headers: [.authorization: "Bearer \(api.acme)", .contentType: "application/json"],
                body: ByteBuffer(bytes: body)
            )
            #expect(response.status == .badRequest, "\(name)")
            let messages = try response.problem().messages
            #expect(messages.contains { $0.contains(reason) }, "\(name): \(messages)")
            #expect(try await api.operationCount() == 0)
            // And the node still serves.
            #expect(try await api.client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }
}
