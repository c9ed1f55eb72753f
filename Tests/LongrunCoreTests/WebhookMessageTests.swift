import Foundation
import LongrunCore
import Testing

/// Signatures, the Ouro bodies and the retry schedule, byte for byte and without a network.
struct WebhookMessageTests {
    @Test func theSignatureReproducesTheStandardWebhooksTestVector() throws {
        let secret = try #require(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8),
            secret: secret)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func theStandardMessageIsTheResourceSignedWithItsWebhookID() throws {
        let delivery = Self.delivery(
            .standard, operation: Self.operation(status: .succeeded, result: .object(["rows": .integer(3)])))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let message = try WebhookMessage.build(for: delivery, now: now, ouro: nil)
        #expect(message.url == "https://hooks.example.com/done")
        #expect(message.body == (try ResourceJSON.encode(OperationResource(operation: delivery.operation))))
        #expect(message.headers["webhook-id"] == "msg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50")
        #expect(message.headers["webhook-timestamp"] == "1700000000")
        #expect(message.headers["content-type"] == "application/json")
        #expect(
            message.headers["webhook-signature"]
                == WebhookSignature.sign(
                    id: "msg_0190f3a1b2c37d4e8f9a0b1c2d3e4f50", timestamp: 1_700_000_000, body: message.body,
                    secret: delivery.secret))
        #expect(message.headers["ouro-webhook-token"] == nil)
        let text = String(decoding: message.body, as: UTF8.self)
        #expect(text.contains(#""result":{"rows":3}"#) && !text.contains("tok_secret"))
    }

    @Test func theOuroCompletionCarriesTheResultAndProcessingTime() throws {
        let operation = Self.operation(status: .succeeded, result: .object(["rows": .integer(3)]))
        let message = try WebhookMessage.build(
            for: Self.delivery(.ouro, operation: operation), now: Date(), ouro: nil)
        #expect(message.url == "https://ouro.example.com/hook")
        #expect(message.headers["ouro-webhook-token"] == "tok_secret")
        #expect(
            String(decoding: message.body, as: UTF8.self)
                == #"{"ouro_action_id":"act-1","ouro_route_id":"route-9","response":{"processing_time_seconds":12.5,"rows":3},"status":"completed"}"#
        )
    }

    @Test func aResultThatIsNotAnObjectIsSentAsIs() throws {
        let message = try WebhookMessage.build(
            for: Self.delivery(
                .ouro, operation: Self.operation(status: .succeeded, result: .array([.integer(1), .integer(2)]))),
            now: Date(), ouro: nil)
        #expect(
            String(decoding: message.body, as: UTF8.self)
                == #"{"ouro_action_id":"act-1","ouro_route_id":"route-9","response":[1,2],"status":"completed"}"#)
    }

    @Test(arguments: [
        (OperationStatus.failed, OperationError(code: .handlerError, message: "disk full")),
        (.cancelled, OperationError(code: .cancelled, message: "Cancelled by the client.")),
    ])
    func failedAndCancelledOperationsSendTheErrorObject(status: OperationStatus, error: OperationError) throws {
        let message = try WebhookMessage.build(
            for: Self.delivery(.ouro, operation: Self.operation(status: status, error: error)), now: Date(), ouro: nil)
        #expect(
            String(decoding: message.body, as: UTF8.self)
                == #"{"ouro_action_id":"act-1","ouro_route_id":"route-9","response":{"code":"\#(error.code.rawValue)","error":"\#(error.message)","status":"error"},"status":"failed"}"#
        )
    }

    @Test func aLogForwardGoesToTheActionsLogOfTheBaseURL() throws {
        var delivery = Self.delivery(.ouroLog, operation: Self.operation(status: .running))
        delivery.operation.ouro.actionID = "act 1/x"
        delivery.log = OperationLogEntry(
            id: 7, operationID: delivery.operation.id, at: Date(), level: .warning, message: "step 2/5")
        let ouro = OuroLogForwarding(baseURL: "https://api.ouro.example/v1/", apiKey: "key-123")
        let message = try WebhookMessage.build(for: delivery, now: Date(), ouro: ouro)
        #expect(message.url == "https://api.ouro.example/v1/actions/act%201%2Fx/log")
        #expect(message.headers["authorization"] == "Bearer key-123")
        #expect(
            String(decoding: message.body, as: UTF8.self)
                == #"{"asset_id":"route-9","level":"warning","message":"step 2/5"}"#)
        #expect(throws: LongrunError.self) { try WebhookMessage.build(for: delivery, now: Date(), ouro: nil) }
        #expect(!"\(ouro)".contains("key-123"))
    }

    @Test func retriesWaitAtMostTheirScheduledDelayThenStop() {
        let schedule = DeliveryRetrySchedule(delays: [.seconds(5), .seconds(30)])
        var generator = SystemRandomNumberGenerator()
        var first: [Duration] = []
        for _ in 0..<200 {
            let delay = schedule.delay(afterAttempt: 1, using: &generator)
            #expect(delay != nil && delay! >= .zero && delay! <= .seconds(5))
            first.append(delay ?? .zero)
        }
        // Full jitter: spread over the range, not pinned to its ends.
        #expect(first.contains { $0 < .milliseconds(2500) } && first.contains { $0 > .milliseconds(2500) })
        #expect(schedule.delay(afterAttempt: 2, using: &generator)! <= .seconds(30))
        #expect(schedule.delay(afterAttempt: 3, using: &generator) == nil)
        #expect(schedule.attempts == 3)
        // Retry-After raises the wait, up to a day.
        #expect(schedule.delay(afterAttempt: 1, retryAfter: .seconds(20), using: &generator)! >= .seconds(20))
        #expect(schedule.delay(afterAttempt: 1, retryAfter: .seconds(999_999), using: &generator)! == .seconds(86_400))
        #expect(DeliveryRetrySchedule.standard.attempts == 11)
    }

    // MARK: Fixtures

    static func operation(
        status: OperationStatus, result: JSONValue? = nil, error: OperationError? = nil
    ) -> OperationRecord {
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        return OperationRecord(
            id: UUID(uuidString: "0190f3a1-b2c3-7d4e-8f9a-0b1c2d3e4f51")!, tenantID: 1, kind: "report.build",
            queue: "default", priority: 0, status: status, input: .emptyObject, metadata: .emptyObject, result: result,
            error: error, progress: nil, message: nil, attempt: 1, maxAttempts: 3, createdAt: created,
            updatedAt: created, startedAt: created, finishedAt: status.isTerminal ? created + 12.5 : nil,
            estimatedCompletion: nil, runAt: created, deadline: nil, callbackURL: "https://hooks.example.com/done",
            ouro: OuroContext(
                webhookURL: "https://ouro.example.com/hook", webhookToken: "tok_secret", actionID: "act-1",
                routeID: "route-9"),
            lease: nil, checkpoint: nil, idempotency: nil)
    }

    static func delivery(_ format: WebhookDelivery.Format, operation: OperationRecord) -> ClaimedDelivery {
        ClaimedDelivery(
            id: UUID(uuidString: "0190f3a1-b2c3-7d4e-8f9a-0b1c2d3e4f50")!, format: format,
            url: format == .ouro ? "https://ouro.example.com/hook" : "https://hooks.example.com/done", attempt: 1,
            operation: operation, secret: WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!, log: nil)
    }
}
