import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import LongrunCore

/// A create request, checked field by field before anything is stored: from the body
/// of `POST /v1/operations`, or from a kind route where the body is the input.
struct OperationRequest: Sendable, Encodable {
    var kind: String
    var input: JSONValue
    var callbackURL: String?
    var metadata: JSONValue
    var queue: String
    var priority: Int
    var maxAttempts: Int
    var timeoutSeconds: Double?
    var ouro: OuroHeaders

    static let metadataLimit = 16 * 1024
    static let longestTimeout = 365 * 24 * 3600.0

    /// The fields of `POST /v1/operations`.
    static func fromBody(_ body: JSONValue, headers: HTTPFields) throws(Problem) -> OperationRequest {
        guard case .object(let fields) = body else {
            throw Problem.invalid([.init(field: "body", message: "must be a JSON object")])
        }
        var errors: [Problem.FieldError] = []
        let known: Set = [
            "kind", "input", "callback_url", "metadata", "queue", "priority", "max_attempts", "timeout_seconds",
        ]
        for name in fields.keys.sorted() where !known.contains(name) {
            errors.append(.init(field: name, message: "is not a field of an operation request"))
        }
        var request = OperationRequest(
            kind: "", input: fields["input"] ?? .emptyObject, callbackURL: nil, metadata: .emptyObject,
            queue: "default", priority: 0, maxAttempts: 3, timeoutSeconds: nil,
            ouro: OuroHeaders(headers, errors: &errors)
        )
        switch fields["kind"] {
        case .string(let kind) where Self.isName(kind, longest: 200): request.kind = kind
        case nil: errors.append(.init(field: "kind", message: "is required"))
        default: errors.append(.init(field: "kind", message: kindRule))
        }
        switch fields["callback_url"] {
        case nil, .null?: break
        case .string(let url)?:
            if let message = CallbackURL.syntaxError(url) {
                errors.append(.init(field: "callback_url", message: message))
            } else {
                request.callbackURL = url
            }
        default: errors.append(.init(field: "callback_url", message: "must be a string"))
        }
        switch fields["metadata"] {
        case nil, .null: break
        case .object(let object)? where Self.encodedSize(.object(object)) <= metadataLimit:
            request.metadata = .object(object)
        case .object?: errors.append(.init(field: "metadata", message: "must encode to at most \(metadataLimit) bytes"))
        default: errors.append(.init(field: "metadata", message: "must be an object"))
        }
        switch fields["queue"] {
        case nil, .null: break
        case .string(let queue)? where Self.isName(queue, longest: 100): request.queue = queue
        default:
            errors.append(.init(field: "queue", message: "must be a name of 1 to 100 letters, digits, '.', '_' or '-'"))
        }
        if let priority = Self.integer(fields["priority"], in: -100...100, field: "priority", errors: &errors) {
            request.priority = priority
        }
        if let attempts = Self.integer(fields["max_attempts"], in: 1...100, field: "max_attempts", errors: &errors) {
            request.maxAttempts = attempts
        }
        switch fields["timeout_seconds"] {
        case nil, .null: break
        case let value? where value.doubleValue.map({ $0 > 0 && $0 <= longestTimeout }) == true:
            request.timeoutSeconds = value.doubleValue
        default:
            errors.append(
                .init(field: "timeout_seconds", message: "must be a number above 0 and at most \(Int(longestTimeout))"))
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        return request
    }

    /// A kind route's request: the body is the input; a callback comes from the
    /// `callback_url` query parameter or the Ouro headers.
    static func forMount(
        _ mount: APIConfiguration.KindMount, input: JSONValue, callbackURL: String?, headers: HTTPFields
    ) throws(Problem) -> OperationRequest {
        var errors: [Problem.FieldError] = []
        let ouro = OuroHeaders(headers, errors: &errors)
        if let callbackURL, let message = CallbackURL.syntaxError(callbackURL) {
            errors.append(.init(field: "callback_url", message: message))
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        if mount.requiresWebhook, ouro.webhookURL == nil, callbackURL == nil {
            throw Problem(
                status: .badRequest,
                title: "Bad Request",
                detail: "Missing ouro-webhook-url header. This endpoint requires async completion."
            )
        }
        return OperationRequest(
            kind: mount.kind, input: input, callbackURL: callbackURL, metadata: .emptyObject, queue: "default",
            priority: 0, maxAttempts: 3, timeoutSeconds: nil, ouro: ouro
        )
    }

    /// A hash of everything that makes two requests "the same request" for
    /// `Idempotency-Key`: every field, Ouro headers included, in a canonical encoding.
    var fingerprint: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(SHA256.hash(data: (try? encoder.encode(self)) ?? Data()))
    }

    static let kindRule = "must be a name of 1 to 200 letters, digits, '.', '_' or '-'"

    static func isName(_ text: String, longest: Int) -> Bool {
        (1...longest).contains(text.count)
            && text.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0))
            }
    }

    private static func encodedSize(_ value: JSONValue) -> Int {
        (try? JSONEncoder().encode(value).count) ?? .max
    }

    private static func integer(
        _ value: JSONValue?, in range: ClosedRange<Int>, field: String, errors: inout [Problem.FieldError]
    ) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .integer(let number)? where range.contains(Int(number)): return Int(number)
        // JSON has one kind of number: 5.0 is the integer 5 (as JSON Schema says too).
        case .number(let number)?
        where number.rounded() == number && Double(range.lowerBound) <= number && number <= Double(range.upperBound):
            return Int(number)
        default:
            errors.append(
                .init(field: field, message: "must be an integer from \(range.lowerBound) to \(range.upperBound)"))
            return nil
        }
    }
}

/// The six `ouro-*` headers of a create request.
struct OuroHeaders: Sendable, Hashable, Encodable {
    var webhookURL: String?
    var webhookToken: String?
    var actionID: String?
    var routeID: String?
    var routeOrgID: String?
    var routeTeamID: String?

    static let longest = 2048

    init(_ headers: HTTPFields, errors: inout [Problem.FieldError]) {
        func value(_ name: String) -> String? {
            guard let field = HTTPField.Name(name), let text = headers[field] else { return nil }
            guard text.count <= Self.longest else {
                errors.append(.init(field: name, message: "must be at most \(Self.longest) characters"))
                return nil
            }
            return text
        }
        webhookURL = value("ouro-webhook-url")
        webhookToken = value("ouro-webhook-token")
        actionID = value("ouro-action-id")
        routeID = value("ouro-route-id")
        routeOrgID = value("ouro-route-org-id")
        routeTeamID = value("ouro-route-team-id")
        if let url = webhookURL, let message = CallbackURL.syntaxError(url) {
            errors.append(.init(field: "ouro-webhook-url", message: message))
        }
    }

    var context: OuroContext {
        OuroContext(
            webhookURL: webhookURL, webhookToken: webhookToken, actionID: actionID, routeID: routeID,
            routeOrgID: routeOrgID, routeTeamID: routeTeamID
        )
    }
}

extension JSONValue {
    var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}
