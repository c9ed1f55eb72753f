import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LongrunAPI
import LongrunCore
import LongrunTesting
import Testing

@Suite struct ListOperationsTests {
    func page(_ api: APIHarness, _ query: String) async throws -> (ids: [String], next: String?) {
        let response = try await api.send(.get, "/v1/operations?\(query)")
        #expect(response.status == .ok)
        let body = try response.json()
        guard case .array(let operations)? = body["operations"] else { throw TestSupportError("no operations") }
        let ids = operations.compactMap { item -> String? in
            guard case .object(let fields) = item else { return nil }
            return fields["id"]?.stringValue
        }
        return (ids, body["next_page_token"]?.stringValue)
    }

    @Test func pagesThrough250OperationsWithoutGapsOrRepeatsWhileNewOnesArrive() async throws {
        try await APIHarness.run { api in
            var created: [String] = []
            for _ in 0..<250 { created.append(try await api.createSleeper()) }
            var seen: [String] = []
            var token: String?
            repeat {
                let (ids, next) = try await page(api, "page_size=40" + (token.map { "&page_token=\($0)" } ?? ""))
                seen += ids
                token = next
                // Newer operations land before the first page, never inside the walk.
                _ = try await api.createSleeper()
            } while token != nil
            #expect(seen == created.reversed())
        }
    }

    @Test func filtersByStatusAndKind() async throws {
        try await APIHarness.run { api in
            let sleeper = try await api.createSleeper()
            let cancelled = try await api.createSleeper()
            _ = try await api.send(.post, "/v1/operations/\(cancelled)/cancel")
            let noop = try #require(
                try await api.send(.post, "/v1/operations", json: #"{"kind":"demo.noop"}"#).json()["id"]?.stringValue
            )
            #expect(try await page(api, "status=cancelled").ids == [cancelled])
            #expect(try await page(api, "kind=demo.noop").ids == [noop])
            #expect(try await page(api, "status=pending&kind=demo.sleep").ids == [sleeper])
            #expect(try await page(api, "").ids == [noop, cancelled, sleeper])
            #expect(try await page(api, "").next == nil)
        }
    }

    @Test(arguments: [
        ("status=paused", "status"), ("page_size=0", "page_size"), ("page_size=1001", "page_size"),
        ("page_size=ten", "page_size"), ("page_token=garbage", "page_token"), ("kind=%00", "kind"),
        ("kind=demo%20noop", "kind"),
    ])
    func badParametersAnswer400(query: String, field: String) async throws {
        try await APIHarness.run { api in
            let response = try await api.send(.get, "/v1/operations?\(query)")
            #expect(response.status == .badRequest)
            #expect(try response.problem().fields == [field])
        }
    }
}

@Suite struct KindRouteTests {
    let configuration = APIConfiguration(
        allowPrivateCallbacks: true,
        mounts: [
            .init(path: "/noop", kind: "demo.noop", requiresWebhook: false),
            .init(path: "/process", kind: "demo.sleep", requiresWebhook: true),
        ]
    )

    @Test func aMountedKindTakesTheWholeBodyAsInput() async throws {
        try await APIHarness.run(configuration: configuration) { api in
            let response = try await api.send(.post, "/noop", json: "{}")
            #expect(response.status == .accepted)
            #expect(try response.json()["kind"] == .string("demo.noop"))
            let refused = try await api.send(
                .post, "/process", json: #"{"seconds":-1}"#,
                headers: [HTTPField.Name("ouro-webhook-url")!: "http://127.0.0.1:9/o"])
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.problem().fields == ["input.seconds"])
            #expect(try await api.send(.get, "/noop").status == .methodNotAllowed)
        }
    }

    @Test func anAsyncMountWithoutAWebhookAnswers400WithTheContractsMessage() async throws {
        try await APIHarness.run(configuration: configuration) { api in
            let response = try await api.send(.post, "/process", json: #"{"seconds":1}"#)
            #expect(response.status == .badRequest)
            #expect(
                try response.problem().detail
                    == "Missing ouro-webhook-url header. This endpoint requires async completion."
            )
            #expect(try await api.operationCount() == 0)

            let withOuro = try await api.send(
                .post, "/process", json: #"{"seconds":1}"#,
                headers: [
                    HTTPField.Name("ouro-webhook-url")!: "http://127.0.0.1:9/o", HTTPField.Name("ouro-action-id")!: "a",
                ]
            )
            #expect(withOuro.status == .accepted)
            let withCallback = try await api.send(
                .post, "/process?callback_url=http://127.0.0.1:9/cb", json: #"{"seconds":1}"#)
            #expect(withCallback.status == .accepted)
            #expect(try withCallback.json()["callback_url"] == .string("http://127.0.0.1:9/cb"))
        }
    }
}
