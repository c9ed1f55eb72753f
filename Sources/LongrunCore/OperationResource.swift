import Foundation

/// The operation resource of the contract, as clients see it: no tenant, lease,
/// checkpoint or idempotency internals, and never the Ouro token. API answers and
/// Standard Webhooks bodies are both this, so a receiver sees what a poller sees.
public struct OperationResource: Encodable, Sendable {
    public let operation: OperationRecord

    public init(operation: OperationRecord) { self.operation = operation }

    /// The resource as a JSON value, the one definition of its shape: API answers and
    /// webhook bodies write it with ``JSONValue``'s own writer (``ResourceJSON``), which
    /// costs a fraction of Foundation's `JSONEncoder` on a path every operation takes at
    /// least twice (its create answer and its webhook).
    public var jsonValue: JSONValue {
        func timestamp(_ date: Date?) -> JSONValue { date.map { .string(Timestamp($0).text) } ?? .null }
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        // Fields without a value are sent as null rather than left out, so clients see
        // the whole shape on every read.
        var fields: [String: JSONValue] = [
            "id": .string(operation.id.lowercasedText), "kind": .string(operation.kind),
            "status": .string(operation.status.rawValue), "done": .bool(operation.done),
            "progress": operation.progress.map { .integer(Int64($0)) } ?? .null, "message": text(operation.message),
            "created_at": timestamp(operation.createdAt), "updated_at": timestamp(operation.updatedAt),
            "started_at": timestamp(operation.startedAt), "finished_at": timestamp(operation.finishedAt),
            "estimated_completion": timestamp(operation.estimatedCompletion),
            "attempt": .integer(Int64(operation.attempt)), "max_attempts": .integer(Int64(operation.maxAttempts)),
            "metadata": operation.metadata, "queue": .string(operation.queue),
            "priority": .integer(Int64(operation.priority)), "deadline": timestamp(operation.deadline),
            "callback_url": text(operation.callbackURL),
        ]
        // Present exactly when the contract says: result when succeeded, error when
        // failed or cancelled, ouro when the request carried Ouro headers (never the token).
        if operation.status == .succeeded, let result = operation.result { fields["result"] = result }
        if operation.done, let error = operation.error {
            fields["error"] = .object(
                ["code": .string(error.code.rawValue), "message": .string(error.message), "details": error.details])
        }
        let ouro = operation.ouro
        let shown: [String: JSONValue] = [
            "webhook_url": ouro.webhookURL, "action_id": ouro.actionID, "route_id": ouro.routeID,
            "route_org_id": ouro.routeOrgID, "route_team_id": ouro.routeTeamID,
        ].compactMapValues { $0.map(JSONValue.string) }
        if !shown.isEmpty { fields["ouro"] = .object(shown) }
        return .object(fields)
    }

    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }
}

/// RFC 3339 in UTC with milliseconds, as every timestamp of the API.
public struct Timestamp: Encodable, Sendable {
    public let date: Date

    public init(_ date: Date) { self.date = date }

    /// The timestamp as the API writes it.
    public var text: String { date.formatted(Self.style) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    public static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
}

/// The one JSON spelling of everything Longrun sends (API answers, webhook bodies):
/// sorted keys, slashes unescaped. Sorted keys make bodies stable byte for byte, which
/// signatures and tests rely on.
public enum ResourceJSON {
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        // The resource, the body of most answers and of every webhook, has a writer of its own.
        if let resource = value as? OperationResource { return resource.jsonValue.jsonBytes }
        if let json = value as? JSONValue { return json.jsonBytes }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(value))
    }
}
