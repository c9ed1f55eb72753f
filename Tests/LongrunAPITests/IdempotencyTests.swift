import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LongrunCore
import LongrunTesting
import Testing

@Suite struct IdempotencyTests {
    let create = #"{"kind":"demo.sleep","input":{"seconds":5}}"#

    func key(_ value: String) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: value] }

    @Test func theSameRequestAgainReplaysTheSameOperation() async throws {
        try await APIHarness.run { api in
            let first = try await api.send(.post, "/v1/operations", json: create, headers: key("order-17"))
            #expect(first.status == .accepted)
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let again = try await api.send(.post, "/v1/operations", json: create, headers: key("order-17"))
            #expect(again.status == .accepted)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try again.json()["id"] == first.json()["id"])
            #expect(again.headers[.location] == first.headers[.location])
            // Sent as a structured-field string, it is the same key.
            let quoted = try await api.send(.post, "/v1/operations", json: create, headers: key(#""order-17""#))
            #expect(try quoted.json()["id"] == first.json()["id"])
            #expect(try await api.operationCount() == 1)
        }
    }

    @Test func theSameKeyForAnotherRequestAnswers422() async throws {
        try await APIHarness.run { api in
            _ = try await api.send(.post, "/v1/operations", json: create, headers: key("k"))
            let other = try await api.send(
                .post, "/v1/operations", json: #"{"kind":"demo.sleep","input":{"seconds":6}}"#, headers: key("k")
            )
            #expect(other.status == .unprocessableContent)
            #expect(try other.problem().title == "Idempotency-Key reused")
            #expect(try await api.operationCount() == 1)
        }
    }

    @Test func keysAreScopedPerTenant() async throws {
        try await APIHarness.run { api in
            let mine = try await api.send(.post, "/v1/operations", json: create, headers: key("shared"))
            let theirs = try await api.send(
                .post, "/v1/operations", json: create, key: api.globex, headers: key("shared"))
            #expect(theirs.status == .accepted)
            #expect(theirs.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            #expect(try theirs.json()["id"] != mine.json()["id"])
        }
    }

    @Test func anExpiredKeyMakesANewOperation() async throws {
        try await APIHarness.run { api in
            let first = try await api.send(.post, "/v1/operations", json: create, headers: key("old"))
            _ = try await api.database.rows(
                "UPDATE operations SET idempotency_expires_at = now() - interval '1 second'")
            let again = try await api.send(.post, "/v1/operations", json: create, headers: key("old"))
            #expect(again.status == .accepted)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            #expect(try again.json()["id"] != first.json()["id"])
            #expect(try await api.operationCount() == 2)
        }
    }

    @Test(arguments: [
        "", String(repeating: "k", count: 256), "has space", "tab\tkey", #""unterminated"#, #""bad\escape""#,
    ])
    func malformedKeysAnswer400(value: String) async throws {
        try await APIHarness.run { api in
            let response = try await api.send(.post, "/v1/operations", json: create, headers: key(value))
            #expect(response.status == .badRequest, "\(value)")
            #expect(try response.problem().fields == ["Idempotency-Key"])
            #expect(try await api.operationCount() == 0)
        }
    }

    @Test func fiftyConcurrentRequestsWithOneKeyMakeOneOperation() async throws {
        try await APIHarness.run { api in
            // On 50 connections at once (the test client would send them one by one).
            let responses = try await api.withConcurrentClient { client in
                try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                    for _ in 0..<50 {
                        group.addTask {
                            let response = try await client.post(
                                "/v1/operations", json: create, headers: ["Idempotency-Key": "race"])
                            let object = try JSONDecoder().decode(JSONValue.self, from: Data(response.body.utf8))
                            guard case .object(let fields) = object else { return (response.status, nil) }
                            return (response.status, fields["id"]?.stringValue)
                        }
                    }
                    return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
                }
            }
            #expect(responses.allSatisfy { $0.0 == 202 }, "\(responses)")
            #expect(Set(responses.compactMap(\.1)).count == 1)
            #expect(try await api.operationCount() == 1)
        }
    }
}
