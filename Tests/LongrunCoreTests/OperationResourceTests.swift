import Foundation
import LongrunCore
import Testing

/// The resource's JSON, byte for byte: API answers and webhook bodies (which receivers
/// verify signatures over) are written by ``JSONValue``'s writer; lists embed resources
/// through Foundation's encoder. Both must spell a resource the same.
struct OperationResourceTests {
    @Test func aSucceededOperationIsWrittenWithSortedKeysNullsAndNoToken() throws {
        let operation = WebhookMessageTests.operation(status: .succeeded, result: .object(["rows": .integer(3)]))
        let text = String(decoding: try ResourceJSON.encode(OperationResource(operation: operation)), as: UTF8.self)
        #expect(
            text
                == #"{"attempt":1,"callback_url":"https://hooks.example.com/done","created_at":"2023-11-14T22:13:20.000Z","deadline":null,"done":true,"estimated_completion":null,"finished_at":"2023-11-14T22:13:32.500Z","id":"0190f3a1-b2c3-7d4e-8f9a-0b1c2d3e4f51","kind":"report.build","max_attempts":3,"message":null,"metadata":{},"ouro":{"action_id":"act-1","route_id":"route-9","webhook_url":"https://ouro.example.com/hook"},"priority":0,"progress":null,"queue":"default","result":{"rows":3},"started_at":"2023-11-14T22:13:20.000Z","status":"succeeded","updated_at":"2023-11-14T22:13:20.000Z"}"#
        )
    }

    @Test(arguments: [
        WebhookMessageTests.operation(status: .pending),
        WebhookMessageTests.operation(
            status: .succeeded,
            result: .object([
                "path": .string("/a/b"), "quote": .string("say \"hi\"\n\t\u{1F}"), "unicode": .string("é ✓ 😀"),
                "list": .array([.integer(-7), .number(0.25), .bool(false), .null]), "empty": .array([]),
            ])),
        WebhookMessageTests.operation(
            status: .failed,
            error: OperationError(code: .handlerError, message: "disk full", details: .object(["free": .integer(0)]))),
        WebhookMessageTests.operation(status: .cancelled, error: OperationError(code: .cancelled, message: "x")),
    ])
    func foundationsEncoderSpellsItTheSame(operation: OperationRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let resource = OperationResource(operation: operation)
        let written = try ResourceJSON.encode(resource)
        #expect(written == Array(try encoder.encode(resource)))
        #expect(JSONValue(jsonBytes: written) == resource.jsonValue)
    }

    @Test func aPendingOperationShowsNeitherResultNorErrorEvenWhenStored() throws {
        var operation = WebhookMessageTests.operation(status: .running, result: .integer(1))
        operation.error = OperationError(code: .handlerError, message: "an earlier attempt")
        guard case .object(let fields) = OperationResource(operation: operation).jsonValue else {
            Issue.record("not an object")
            return
        }
        #expect(fields["result"] == nil && fields["error"] == nil)
        #expect(fields["done"] == .bool(false) && fields["progress"] == .null)
    }
}
