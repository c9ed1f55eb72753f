import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LongrunAPI
import LongrunCore
import LongrunPostgres
import LongrunTesting
import PostgresNIO
import Testing

@Suite struct OperationRoutesTests {
    @Test func getAnswersTheResourceWithRetryAfterWhileNotDone() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            let response = try await api.send(.get, "/v1/operations/\(id)")
            #expect(response.status == .ok)
            #expect(response.headers[.retryAfter] == "1")
            #expect(try response.json()["id"] == .string(id))
        }
    }

    @Test(arguments: ["00000000-0000-7000-8000-000000000000", "not-a-uuid", "%00"])
    func unknownAndMalformedIdsAnswer404(id: String) async throws {
        try await APIHarness.run { api in
            for (method, path) in [
                (HTTPRequest.Method.get, ""), (.delete, ""), (.post, "/cancel"), (.post, ":cancel"), (.get, "/logs"),
                (.get, "/deliveries"),
            ] {
                let response = try await api.send(method, "/v1/operations/\(id)\(path)")
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(try response.problem().title == "Not Found")
            }
        }
    }

    @Test func anotherTenantsOperationIs404ForEveryVerb() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            for (method, path) in [
                (HTTPRequest.Method.get, ""), (.delete, ""), (.post, "/cancel"), (.post, ":cancel"), (.get, "/logs"),
                (.get, "/deliveries"),
            ] {
                let response = try await api.send(method, "/v1/operations/\(id)\(path)", key: api.globex)
                #expect(response.status == .notFound, "\(method) \(path)")
            }
            let list = try await api.send(.get, "/v1/operations", key: api.globex)
            #expect(try list.json()["operations"] == .array([]))
            // And it is untouched: still pending for its owner.
            #expect(try await api.send(.get, "/v1/operations/\(id)").json()["status"] == .string("pending"))
        }
    }

    @Test func requestsWithoutAValidKeyAnswer401() async throws {
        try await APIHarness.run { api in
            for authorization in ["", "Bearer", "Bearer lr_nope", "Basic dXNlcjpwdw==", "bearer  "] {
                let response = try await api.send(
                    .get, "/v1/operations", headers: [.authorization: authorization]
                )
                #expect(response.status == .unauthorized, "\(authorization)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(try response.problem().title == "Unauthorized")
            }
            // The scheme is case-insensitive.
            let lower = try await api.send(.get, "/v1/operations", headers: [.authorization: "bearer \(api.acme)"])
            #expect(lower.status == .ok)
            // Spaces and tabs around the key are HTTP's optional whitespace, not part of it.
            let padded = try await api.send(
                .get, "/v1/operations", headers: [.authorization: "Bearer  \t\(api.acme) \t"])
            #expect(padded.status == .ok)
            // Health stays open.
            #expect(try await api.client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func withAuthenticationOffEveryRequestActsForTheDefaultTenant() async throws {
        try await APIHarness.run(configuration: .init(authentication: .none)) { api in
            let created = try await api.client.execute(
                uri: "/v1/operations", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"kind":"demo.noop"}"#)
            )
            #expect(created.status == .accepted)
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try await api.client.execute(uri: "/v1/operations/\(id)", method: .get).status == .ok)
            let owner = try await api.database.rows(
                "SELECT t.name FROM operations o JOIN tenants t ON t.id = o.tenant_id"
            ).map { try $0.decode(String.self) }
            #expect(owner == ["default"])
        }
    }

    @Test func cancelAPendingOperationThenAgain() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper(#","callback_url":"http://127.0.0.1:9/hook""#)
            let cancelled = try await api.send(.post, "/v1/operations/\(id)/cancel")
            #expect(cancelled.status == .ok)
            let body = try cancelled.json()
            #expect(body["status"] == .string("cancelled"))
            #expect(body["done"] == .bool(true))
            #expect(cancelled.headers[.retryAfter] == nil)
            guard case .object(let error)? = body["error"] else {
                Issue.record("no error object")
                return
            }
            #expect(error["code"] == .string("cancelled"))
            #expect(body["finished_at"]?.stringValue != nil)

            let again = try await api.send(.post, "/v1/operations/\(id):cancel")
            #expect(again.status == .conflict)
            #expect(try again.problem().detail.contains("cancelled"))

            // The webhook it owes is in the outbox.
            let deliveries = try await api.send(.get, "/v1/operations/\(id)/deliveries").json()
            guard case .array(let list)? = deliveries["deliveries"], case .object(let delivery)? = list.first else {
                Issue.record("no delivery: \(deliveries)")
                return
            }
            #expect(list.count == 1)
            #expect(delivery["url"] == .string("http://127.0.0.1:9/hook"))
            #expect(delivery["format"] == .string("standard"))
            #expect(delivery["status"] == .string("pending"))
            #expect(delivery["attempts"] == .array([]))
            #expect(delivery["id"]?.stringValue?.hasPrefix("msg_") == true)
        }
    }

    @Test func cancellingARunningOperationNotifiesItsWorkerInTheSameTransaction() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            // What a worker's claim leaves behind.
            _ = try await api.database.rows(
                """
                UPDATE operations SET status = 'running', attempt = 1, started_at = now(),
                    lease_owner = gen_random_uuid(), lease_token = gen_random_uuid(),
                    lease_expires_at = now() + interval '30 seconds'
                """
            )
            try await api.database.withStore { store in
                try await store.withNotifications(on: [.cancel]) { notifications in
                    var iterator = notifications.makeAsyncIterator()
                    #expect(await iterator.next() == .subscribed)
                    let response = try await api.send(.post, "/v1/operations/\(id):cancel")
                    #expect(response.status == .ok)
                    #expect(await iterator.next() == .received(.cancel, [id]))
                }
            }
            let lease = try await api.database.count("SELECT count(*) FROM operations WHERE lease_token IS NOT NULL")
            #expect(lease == 0)
        }
    }

    @Test func deleteAnswers409WhileNotDoneAnd204Once() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            let early = try await api.send(.delete, "/v1/operations/\(id)")
            #expect(early.status == .conflict)
            #expect(try early.problem().detail.contains("pending"))
            _ = try await api.send(.post, "/v1/operations/\(id)/cancel")
            let deleted = try await api.send(.delete, "/v1/operations/\(id)")
            #expect(deleted.status == .noContent)
            #expect(try await api.send(.get, "/v1/operations/\(id)").status == .notFound)
            #expect(try await api.send(.delete, "/v1/operations/\(id)").status == .notFound)
        }
    }

    @Test func logsAreListedInOrder() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            let uuid = try #require(UUID(uuidString: id))
            try await api.store.appendLog(operationID: uuid, level: .info, message: "step 1/2")
            try await api.store.appendLog(operationID: uuid, level: .error, message: "disk full")
            let body = try await api.send(.get, "/v1/operations/\(id)/logs").json()
            guard case .array(let logs)? = body["logs"] else {
                Issue.record("no logs")
                return
            }
            let lines = logs.compactMap { line -> String? in
                guard case .object(let fields) = line else { return nil }
                return "\(fields["level"]?.stringValue ?? "") \(fields["message"]?.stringValue ?? "")"
            }
            #expect(lines == ["info step 1/2", "error disk full"])
        }
    }

    @Test func unknownRoutesAnswer404AndWrongMethods405AsProblems() async throws {
        try await APIHarness.run { api in
            let missing = try await api.send(.get, "/v2/nothing")
            #expect(missing.status == .notFound)
            #expect(try missing.problem().title == "Not Found")

            let wrong = try await api.send(.put, "/v1/operations")
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow] == "GET, POST")
            #expect(try wrong.problem().title == "Method Not Allowed")

            let wrongOnOne = try await api.send(.patch, "/v1/operations/\(UUID().uuidString)")
            #expect(wrongOnOne.status == .methodNotAllowed)
            #expect(wrongOnOne.headers[.allow] == "DELETE, GET")

            // `…/{id}:cancel` is its own route; the `{id}` route's methods are not offered there.
            let wrongOnCancel = try await api.send(.options, "/v1/operations/\(UUID().uuidString):cancel")
            #expect(wrongOnCancel.status == .methodNotAllowed)
            #expect(wrongOnCancel.headers[.allow] == "POST")
        }
    }

    @Test func aDeadOrDeliveredDeliveryCanBeQueuedAgain() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper(#","callback_url":"http://127.0.0.1:9/hook""#)
            _ = try await api.send(.post, "/v1/operations/\(id)/cancel")
            let listed = try await api.send(.get, "/v1/operations/\(id)/deliveries").json()
            guard case .array(let list)? = listed["deliveries"], case .object(let delivery)? = list.first,
                let deliveryID = delivery["id"]?.stringValue
            else {
                Issue.record("no delivery")
                return
            }
            let retry = "/v1/operations/\(id)/deliveries/\(deliveryID)/retry"
            #expect(try await api.send(.post, retry).status == .conflict)

            _ = try await api.database.rows(
                """
                INSERT INTO webhook_attempts (delivery_id, n, response_status, response_excerpt, error, latency_ms)
                SELECT id, 1, 503, 'busy, try later', NULL, 12 FROM webhook_deliveries
                """)
            _ = try await api.database.rows("UPDATE webhook_deliveries SET status = 'dead'")
            let dead = try await api.send(.get, "/v1/operations/\(id)/deliveries").json()
            guard case .array(let deadList)? = dead["deliveries"], case .object(let deadOne)? = deadList.first,
                case .array(let attempts)? = deadOne["attempts"], case .object(let attempt)? = attempts.first
            else {
                Issue.record("no attempt listed: \(dead)")
                return
            }
            #expect(deadOne["status"] == .string("dead") && deadOne["next_attempt_at"] == .null)
            #expect(attempt["n"] == .integer(1) && attempt["response_status"] == .integer(503))
            #expect(attempt["response_excerpt"] == .string("busy, try later") && attempt["error"] == .null)
            #expect(attempt["latency_ms"] == .integer(12) && attempt["at"]?.stringValue != nil)
            #expect(try await api.send(.post, retry).status == .accepted)
            let after = try await api.send(.get, "/v1/operations/\(id)/deliveries").json()
            guard case .array(let again)? = after["deliveries"], case .object(let requeued)? = again.first else {
                Issue.record("no delivery after the retry")
                return
            }
            #expect(requeued["status"] == .string("pending"))
            #expect(requeued["id"] == .string(deliveryID))

            #expect(try await api.send(.post, retry, key: api.globex).status == .notFound)
            let unknown = "/v1/operations/\(id)/deliveries/msg_00000000000070008000000000000000/retry"
            #expect(try await api.send(.post, unknown).status == .notFound)
            #expect(try await api.send(.post, "/v1/operations/\(id)/deliveries/nonsense/retry").status == .notFound)
        }
    }
}
