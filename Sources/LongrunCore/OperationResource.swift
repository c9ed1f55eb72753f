import Foundation

/// The operation resource of the contract, as clients see it: no tenant, lease,
/// checkpoint or idempotency internals, and never the Ouro token. API answers and
/// Standard Webhooks bodies are both this, so a receiver sees what a poller sees.
public struct OperationResource: Encodable, Sendable {
    public let operation: OperationRecord

    public init(operation: OperationRecord) { self.operation = operation }

    enum CodingKeys: String, CodingKey {
        case id, kind, status, done, progress, message, attempt, metadata, result, error, queue, priority, deadline,
            ouro
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case estimatedCompletion = "estimated_completion"
        case maxAttempts = "max_attempts"
        case callbackURL = "callback_url"
    }

    /// The Ouro values a request carried, shown back without the token.
    struct Ouro: Encodable {
        var webhookURL: String?
        var actionID: String?
        var routeID: String?
        var routeOrgID: String?
        var routeTeamID: String?

        enum CodingKeys: String, CodingKey {
            case webhookURL = "webhook_url"
            case actionID = "action_id"
            case routeID = "route_id"
            case routeOrgID = "route_org_id"
            case routeTeamID = "route_team_id"
        }

        init?(_ context: OuroContext) {
            guard
                [context.webhookURL, context.actionID, context.routeID, context.routeOrgID, context.routeTeamID]
                    .contains(where: { $0 != nil })
            else { return nil }
            webhookURL = context.webhookURL
            actionID = context.actionID
            routeID = context.routeID
            routeOrgID = context.routeOrgID
            routeTeamID = context.routeTeamID
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(operation.id.lowercasedText, forKey: .id)
        try container.encode(operation.kind, forKey: .kind)
        try container.encode(operation.status, forKey: .status)
        try container.encode(operation.done, forKey: .done)
        // Fields without a value are sent as null rather than left out, so clients
        // see the whole shape on every read.
        try container.encode(operation.progress, forKey: .progress)
        try container.encode(operation.message, forKey: .message)
        try container.encode(Timestamp(operation.createdAt), forKey: .createdAt)
        try container.encode(Timestamp(operation.updatedAt), forKey: .updatedAt)
        try container.encode(operation.startedAt.map(Timestamp.init), forKey: .startedAt)
        try container.encode(operation.finishedAt.map(Timestamp.init), forKey: .finishedAt)
        try container.encode(operation.estimatedCompletion.map(Timestamp.init), forKey: .estimatedCompletion)
        try container.encode(operation.attempt, forKey: .attempt)
        try container.encode(operation.maxAttempts, forKey: .maxAttempts)
        try container.encode(operation.metadata, forKey: .metadata)
        try container.encode(operation.queue, forKey: .queue)
        try container.encode(operation.priority, forKey: .priority)
        try container.encode(operation.deadline.map(Timestamp.init), forKey: .deadline)
        try container.encode(operation.callbackURL, forKey: .callbackURL)
        // Present exactly when the contract says: result when succeeded, error when
        // failed or cancelled, ouro when the request carried Ouro headers.
        try container.encodeIfPresent(operation.status == .succeeded ? operation.result : nil, forKey: .result)
        try container.encodeIfPresent(operation.done ? operation.error : nil, forKey: .error)
        try container.encodeIfPresent(Ouro(operation.ouro), forKey: .ouro)
    }
}

/// RFC 3339 in UTC with milliseconds, as every timestamp of the API.
public struct Timestamp: Encodable, Sendable {
    public let date: Date

    public init(_ date: Date) { self.date = date }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(date.formatted(Self.style))
    }

    public static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
}

/// The one JSON spelling of everything Longrun sends (API answers, webhook bodies):
/// sorted keys, slashes unescaped. Sorted keys make bodies stable byte for byte, which
/// signatures and tests rely on.
public enum ResourceJSON {
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(value))
    }
}
