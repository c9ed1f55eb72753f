import Foundation
import LongrunCore
import LongrunPostgres
import LongrunTesting
import Subprocess
import Synchronization
import Testing

@testable import LongrunNotifier

/// The notifier service on a real PostgreSQL, sending to a real receiver on loopback:
/// both formats byte for byte, retries, stops, dead letters, timeouts, redirects, the
/// SSRF guard at send time, several notifiers at once, log forwarding and shutdown.
@Suite(.timeLimit(.minutes(3))) struct NotifierTests {
    @Test func aFinishedOperationIsPostedAsTheSignedResource() async throws {
        try await NotifierHarness.with { harness, _ in
            let id = try await harness.succeeded()
            let requests = try await harness.receiver.waitFor { $0.count == 1 }
            let request = requests[0]
            let operation = try #require(try await harness.store.operation(id: id, tenantID: harness.tenant.id))
            // The body is what GET /v1/operations/{id} answers, byte for byte.
            #expect(request.body == (try ResourceJSON.encode(OperationResource(operation: operation))))
            #expect(request.path == "/hooks")
            #expect(request.headers["content-type"] == "application/json")
            let deliveries = try await harness.waitForDeliveries(id) { $0.first?.status == .delivered }
            #expect(request.headers["webhook-id"] == deliveries.first?.webhookID)
            #expect(deliveries.first?.attempts.map(\.responseStatus) == [200])
            // Verified by the Standard Webhooks reference library, not by our own code.
            let verified = try await Subprocess.run(
                .name("python3"),
                arguments: ["-c", Self.verifier, harness.tenant.webhookSecret.text, Self.json(request.headers)],
                input: .array(request.body),
                output: .string(limit: 1 << 16),
                error: .string(limit: 1 << 16)
            )
            #expect(verified.terminationStatus == .exited(0), "\(verified.standardError)")
            #expect(verified.standardOutput.contains("verified"))
        }
    }

    @Test func theOuroFormatCarriesTheTokenAndTheErrorOfACancelledOperation() async throws {
        try await NotifierHarness.with { harness, _ in
            let created = try await harness.store.create(
                NewOperation(
                    tenantID: harness.tenant.id, kind: "report.build", input: .emptyObject,
                    ouro: OuroContext(
                        webhookURL: harness.receiver.url("/ouro"), webhookToken: "tok_123", actionID: "act-1",
                        routeID: "route-9")))
            guard
                case .cancelled(let cancelled) = try await harness.store.cancelOperation(
                    id: created.id, tenantID: harness.tenant.id)
            else {
                Issue.record("not cancelled")
                return
            }
            let request = try await harness.receiver.waitFor { $0.count == 1 }[0]
            #expect(request.path == "/ouro")
            #expect(request.headers["ouro-webhook-token"] == "tok_123")
            #expect(request.headers["content-type"] == "application/json")
            let message = try #require(cancelled.error?.message)
            #expect(
                request.text
                    == #"{"ouro_action_id":"act-1","ouro_route_id":"route-9","response":{"code":"cancelled","error":"\#(message)","status":"error"},"status":"failed"}"#
            )
        }
    }

    @Test func theOuroCompletionOfASuccessAddsTheProcessingTime() async throws {
        try await NotifierHarness.with { harness, _ in
            let id = try await harness.succeeded(
                callbackPath: nil,
                ouro: OuroContext(webhookURL: harness.receiver.url("/ouro"), actionID: "act-2", routeID: "route-1"))
            let request = try await harness.receiver.waitFor { $0.count == 1 }[0]
            #expect(request.headers["ouro-webhook-token"] == nil)
            let operation = try #require(try await harness.store.operation(id: id, tenantID: harness.tenant.id))
            let seconds = try #require(operation.finishedAt).timeIntervalSince(operation.createdAt)
            let expected = JSONValue.object([
                "status": .string("completed"), "ouro_action_id": .string("act-2"),
                "ouro_route_id": .string("route-1"),
                "response": .object([
                    "rows": .integer(3), "processing_time_seconds": .number((seconds * 1000).rounded() / 1000),
                ]),
            ])
            #expect(request.body == (try ResourceJSON.encode(expected)))
        }
    }

    @Test func aReceiverThatFailsThreeTimesGetsOneSuccessAndFourAttemptsAreListed() async throws {
        let answer: WebhookReceiver.Script = { _, attempt in attempt <= 3 ? .status(500) : .ok }
        try await NotifierHarness.with(answer: answer) { harness, _ in
            let id = try await harness.succeeded()
            let deliveries = try await harness.waitForDeliveries(id) { $0.first?.status == .delivered }
            #expect(deliveries.count == 1)
            #expect(deliveries[0].attempts.map(\.number) == [1, 2, 3, 4])
            #expect(deliveries[0].attempts.map(\.responseStatus) == [500, 500, 500, 200])
            try await Task.sleep(for: .milliseconds(300))
            #expect(harness.receiver.requests.count == 4)
        }
    }

    @Test func goneStopsTheDelivery() async throws {
        let answer: WebhookReceiver.Script = { _, _ in .status(410) }
        try await NotifierHarness.with(answer: answer) { harness, _ in
            let id = try await harness.succeeded()
            let deliveries = try await harness.waitForDeliveries(id) { $0.first?.status == .stopped }
            #expect(deliveries[0].attempts.map(\.responseStatus) == [410])
            try await Task.sleep(for: .milliseconds(300))
            #expect(harness.receiver.requests.count == 1)
        }
    }

    @Test func afterTheLastAttemptTheDeliveryIsDeadAndARetrySendsItAgain() async throws {
        let healthy = Atomic<Bool>(false)
        let answer: WebhookReceiver.Script = { _, _ in healthy.load(ordering: .relaxed) ? .ok : .status(503) }
        try await NotifierHarness.with(
            configurations: [.fast(retries: [.milliseconds(50), .milliseconds(50)])],
            answer: answer
        ) { harness, _ in
            let id = try await harness.succeeded()
            let dead = try await harness.waitForDeliveries(id) { $0.first?.status == .dead }
            #expect(dead[0].attempts.map(\.responseStatus) == [503, 503, 503])
            healthy.store(true, ordering: .relaxed)
            #expect(try await harness.store.retryDelivery(id: dead[0].id, operationID: id) == .queued)
            let delivered = try await harness.waitForDeliveries(id) { $0.first?.status == .delivered }
            #expect(delivered[0].attempts.map(\.responseStatus) == [503, 503, 503, 200])
            // The same webhook-id every time, so the receiver can dedupe.
            #expect(Set(harness.receiver.requests.compactMap { $0.headers["webhook-id"] }) == [dead[0].webhookID])
        }
    }

    @Test func aSlowReceiverHitsTheTimeoutAndIsTriedAgain() async throws {
        let answer: WebhookReceiver.Script = { _, attempt in
            attempt == 1 ? .init(status: 200, delay: .seconds(12)) : .ok
        }
        try await NotifierHarness.with(
            configurations: [.fast(retries: Array(repeating: .milliseconds(50), count: 5), sendTimeout: .seconds(3))],
            answer: answer
        ) { harness, _ in
            let id = try await harness.succeeded()
            let deliveries = try await harness.waitForDeliveries(id) { $0.first?.status == .delivered }
            let attempts = deliveries[0].attempts
            // The answer came after the timeout, so the first try failed although it said 200.
            // (On a loaded machine a later try can time out too; what matters is the first.)
            #expect(attempts.count >= 2, "\(attempts)")
            #expect(attempts.first?.responseStatus == nil)
            #expect(attempts.first?.error?.contains("timeout") == true, "\(attempts)")
            #expect(attempts.last?.responseStatus == 200)
        }
    }

    @Test func retryAfterIsHonouredOnServiceUnavailable() async throws {
        let answer: WebhookReceiver.Script = { _, attempt in
            attempt == 1 ? .status(503, headers: ["Retry-After": "1"]) : .ok
        }
        try await NotifierHarness.with(
            configurations: [.fast(retries: [.milliseconds(50)])],
            answer: answer
        ) { harness, _ in
            let id = try await harness.succeeded()
            try await harness.waitForDeliveries(id) { $0.first?.status == .delivered }
            let arrivals = harness.receiver.requests.map(\.arrived)
            #expect(arrivals.count == 2)
            #expect(arrivals[1] - arrivals[0] >= .milliseconds(950))
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        let target = Mutex<String>("")
        let answer: WebhookReceiver.Script = { _, attempt in
            attempt == 1 ? .status(302, headers: ["Location": target.withLock { $0 }]) : .ok
        }
        try await NotifierHarness.with(
            answer: answer
        ) { harness, _ in
            target.withLock { $0 = harness.receiver.url("/elsewhere") }
            let id = try await harness.succeeded()
            let deliveries = try await harness.waitForDeliveries(id) { $0.first?.status == .delivered }
            #expect(deliveries[0].attempts.map(\.responseStatus) == [302, 200])
            #expect(harness.receiver.requests.allSatisfy { $0.path == "/hooks" })
        }
    }

    @Test func aPrivateDestinationIsRefusedAtSendTime() async throws {
        try await NotifierHarness.with(configurations: [.fast(allowPrivate: false)]) { harness, _ in
            // Stored as if it had passed the API's check, then resolving to loopback.
            let id = try await harness.succeeded()
            let deliveries = try await harness.waitForDeliveries(id) { $0.first?.status == .dead }
            #expect(deliveries[0].attempts.count == 1)
            #expect(deliveries[0].attempts.first?.error?.contains("refused") == true)
            #expect(harness.receiver.requests.isEmpty)
        }
    }

    /// A name, not an address: what a DNS-rebinding attacker stores. `localhost` resolves
    /// to loopback on every machine; the receiver listens there, so only the guard stops
    /// the send, on the callback URL and on the Ouro webhook URL alike.
    @Test func aNameResolvingToLoopbackIsRefusedAtSendTimeOnEveryPath() async throws {
        try await NotifierHarness.with(configurations: [.fast(allowPrivate: false)]) { harness, _ in
            let local = "http://localhost:\(harness.receiver.port)"
            let id = try await harness.succeeded(
                callbackURL: local + "/hooks", ouro: OuroContext(webhookURL: local + "/ouro", actionID: "act-9"))
            let deliveries = try await harness.waitForDeliveries(id) {
                $0.count == 2 && $0.allSatisfy { $0.status == .dead }
            }
            #expect(Set(deliveries.map(\.format)) == [.standard, .ouro])
            #expect(deliveries.allSatisfy { $0.attempts.first?.error?.contains("refused") == true })
            #expect(harness.receiver.requests.isEmpty)
        }
    }

    @Test func twoNotifiersDeliverFiveHundredWebhooksEachExactlyOnce() async throws {
        try await NotifierHarness.with(configurations: [.fast(concurrency: 8), .fast(concurrency: 8)]) { harness, _ in
            var ids: [UUID] = []
            for _ in 0..<500 {
                let created = try await harness.store.create(
                    NewOperation(
                        tenantID: harness.tenant.id, kind: "report.build", input: .emptyObject,
                        callbackURL: harness.receiver.url("/hooks")))
                _ = try await harness.store.cancelOperation(id: created.id, tenantID: harness.tenant.id)
                ids.append(created.id)
            }
            let requests = try await harness.receiver.waitFor(timeout: .seconds(60)) { $0.count >= 500 }
            try await Task.sleep(for: .milliseconds(500))
            #expect(harness.receiver.requests.count == 500)
            #expect(Set(requests.compactMap { $0.headers["webhook-id"] }).count == 500)
            #expect(
                try await harness.database.count(
                    "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered' AND attempts = 1") == 500)
        }
    }

    @Test func logLinesAreForwardedToOuroInTheOrderWritten() async throws {
        // The second line fails once; the lines after it wait for it.
        let answer: WebhookReceiver.Script = { request, attempt in
            request.text.contains("line 2") && attempt == 1 ? .status(500) : .ok
        }
        try await NotifierHarness.with(
            forwardingLogsTo: "/api",
            answer: answer
        ) { harness, _ in
            let (id, token) = try await harness.running(
                callbackPath: nil, ouro: OuroContext(actionID: "act-7", routeID: "route-3"))
            for line in 1...5 {
                let held = try await harness.store.record([
                    ProgressReport(operationID: id, leaseToken: token, logs: [.init(.info, "line \(line)")])
                ])
                #expect(held.isEmpty)
            }
            let requests = try await harness.receiver.waitFor { $0.count >= 6 }
            #expect(requests.allSatisfy { $0.path == "/api/actions/act-7/log" })
            #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer ouro-key" })
            let messages = requests.map { request -> String in
                guard case .object(let fields)? = JSONValue(jsonBytes: request.body),
                    case .string(let message)? = fields["message"]
                else { return "?" }
                return message
            }
            #expect(messages == ["line 1", "line 2", "line 2", "line 3", "line 4", "line 5"])
            #expect(requests[0].text == #"{"asset_id":"route-3","level":"info","message":"line 1"}"#)
            try await harness.waitForDeliveries(id) { deliveries in
                deliveries.count == 5 && deliveries.allSatisfy { $0.status == .delivered && $0.format == .ouroLog }
            }
        }
    }

    @Test func withoutOuroSettingsLogLinesAreNotForwarded() async throws {
        try await NotifierHarness.with { harness, _ in
            let (id, token) = try await harness.running(callbackPath: nil, ouro: OuroContext(actionID: "act-8"))
            _ = try await harness.store.record([
                ProgressReport(operationID: id, leaseToken: token, logs: [.init(.info, "kept here")])
            ])
            try await Task.sleep(for: .milliseconds(700))
            #expect(harness.receiver.requests.isEmpty)
            #expect(try await harness.deliveries(id).map(\.status) == [.pending])
        }
    }

    @Test func shutdownReleasesASendInFlightUncounted() async throws {
        let answer: WebhookReceiver.Script = { _, _ in .init(status: 200, delay: .seconds(20)) }
        try await NotifierHarness.with(
            configurations: [.fast(shutdownGrace: .milliseconds(200))],
            answer: answer
        ) { harness, group in
            let id = try await harness.succeeded()
            try await harness.receiver.waitFor { $0.count == 1 }
            await group.triggerGracefulShutdown()
            let deadline = ContinuousClock.now + .seconds(10)
            while try await harness.database.count(
                "SELECT count(*) FROM webhook_deliveries WHERE operation_id = \(id) AND attempts = 0") != 1,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(50))
            }
            let delivery = try #require(try await harness.deliveries(id).first)
            #expect(delivery.status == .pending && delivery.attempts.isEmpty)
            #expect(delivery.nextAttemptAt <= Date().addingTimeInterval(1))
        }
    }

    // MARK: Support

    static func json(_ headers: [String: String]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: headers)) ?? Data(), as: UTF8.self)
    }

    /// Verifies a webhook with the `standardwebhooks` package from PyPI: argv holds the
    /// secret and the headers, stdin the body.
    static let verifier = #"""
        import json, sys
        from standardwebhooks import Webhook
        Webhook(sys.argv[1]).verify(sys.stdin.buffer.read(), json.loads(sys.argv[2]))
        print("verified")
        """#
}

/// The pieces of a send that the loopback tests cannot reach: pinning a plain-HTTP URL
/// to the address the guard judged, and the send timeout over the whole exchange.
struct WebhookSenderTests {
    @Test(arguments: [
        ("http://hooks.example.com/done?x=1", "203.0.113.9", "http://203.0.113.9/done?x=1", "hooks.example.com"),
        ("http://hooks.example.com:8443/a", "203.0.113.9", "http://203.0.113.9:8443/a", "hooks.example.com:8443"),
        ("http://hooks.example.com/", "2001:db8::7", "http://[2001:db8::7]/", "hooks.example.com"),
        ("http://[2001:db8::1]:81/b", "2001:db8::1", "http://[2001:db8::1]:81/b", "[2001:db8::1]:81"),
    ])
    func aPlainHTTPSendConnectsToTheJudgedAddressAndKeepsTheName(
        url: String, address: String, pinned: String, host: String
    ) throws {
        let components = try #require(URLComponents(string: url))
        #expect(WebhookSender.pinned(components, to: address).string == pinned)
        #expect(WebhookSender.authority(of: components) == host)
    }

    @Test(arguments: [
        (Array("ok".utf8), "ok"),
        ([0x61, 0x00, 0x62, 0x00], "ab"),
        ([0x68, 0x69, 0xFF, 0x00, 0x21], "hi\u{FFFD}!"),
        (Array("é\u{0}é".utf8), "éé"),
    ])
    func aResponseExcerptIsStoredAsValidUTF8WithoutNUL(bytes: [UInt8], stored: String) {
        #expect(WebhookSender.text(bytes) == stored)
    }

    @Test func theTimeoutBoundsTheWholeExchange() async throws {
        let started = ContinuousClock.now
        await #expect(throws: WebhookSender.SendTimedOut.self) {
            try await WebhookSender.within(.milliseconds(200)) {
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(try await WebhookSender.within(.seconds(5)) { 7 } == 7)
    }
}
