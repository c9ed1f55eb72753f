import Foundation

/// The HTTP request a delivery sends, built from what its claim carries. Pure, so every
/// format is tested byte for byte without a network.
public struct WebhookMessage: Sendable, Hashable {
    public var url: String
    /// Lower-case names.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Whether the SSRF guard judges the destination: yes for the URLs clients give
    /// (callbacks, Ouro webhooks), no for the operator's own Ouro API.
    public var guarded: Bool

    public init(url: String, headers: [String: String], body: [UInt8], guarded: Bool = true) {
        self.url = url
        self.headers = headers
        self.body = body
        self.guarded = guarded
    }

    /// The message of `delivery`, signed (Standard Webhooks) as of `now`. Log forwards need
    /// `ouro`; without it they cannot be built.
    public static func build(
        for delivery: ClaimedDelivery, now: Date, ouro: OuroLogForwarding?
    ) throws -> WebhookMessage {
        let webhookID = WebhookDelivery.webhookID(for: delivery.id)
        var headers = ["content-type": "application/json", "webhook-id": webhookID]
        switch delivery.format {
        case .standard:
            let body = try ResourceJSON.encode(OperationResource(operation: delivery.operation))
            let timestamp = Int64(now.timeIntervalSince1970)
            headers["webhook-timestamp"] = String(timestamp)
            headers["webhook-signature"] = WebhookSignature.sign(
                id: webhookID, timestamp: timestamp, body: body, secret: delivery.secret)
            return WebhookMessage(url: delivery.url, headers: headers, body: body)
        case .ouro:
            if let token = delivery.operation.ouro.webhookToken { headers["ouro-webhook-token"] = token }
            return WebhookMessage(
                url: delivery.url, headers: headers, body: try ResourceJSON.encode(ouroCompletion(delivery.operation)))
        case .ouroLog:
            guard let ouro, let log = delivery.log, let actionID = delivery.operation.ouro.actionID else {
                throw LongrunError(.invalidInput, "a log forward needs the Ouro base URL, its line and an action id")
            }
            headers["authorization"] = "Bearer \(ouro.apiKey)"
            let body: JSONValue = .object([
                "message": .string(log.message), "level": .string(log.level.rawValue),
                "asset_id": delivery.operation.ouro.routeID.map(JSONValue.string) ?? .null,
            ])
            return WebhookMessage(
                url: ouroLogURL(base: ouro.baseURL, actionID: actionID), headers: headers,
                body: try ResourceJSON.encode(body), guarded: false)
        }
    }

    /// `{status, ouro_action_id, ouro_route_id, response}` as the Ouro platform expects
    /// an async action's completion.
    static func ouroCompletion(_ operation: OperationRecord) -> JSONValue {
        let response: JSONValue
        if operation.status == .succeeded {
            let result = operation.result ?? .null
            if case .object(var fields) = result {
                let start = operation.createdAt
                let seconds = (operation.finishedAt ?? start).timeIntervalSince(start)
                fields["processing_time_seconds"] = .number((seconds * 1000).rounded() / 1000)
                response = .object(fields)
            } else {
                response = result
            }
        } else {
            response = .object([
                "status": .string("error"),
                "error": .string(operation.error?.message ?? "The operation did not succeed."),
                "code": .string(operation.error?.code.rawValue ?? "unknown"),
            ])
        }
        return .object([
            "status": .string(operation.status == .succeeded ? "completed" : "failed"),
            "ouro_action_id": operation.ouro.actionID.map(JSONValue.string) ?? .null,
            "ouro_route_id": operation.ouro.routeID.map(JSONValue.string) ?? .null,
            "response": response,
        ])
    }

    /// `{base}/actions/{action id}/log`, the id percent-encoded as one path segment.
    static func ouroLogURL(base: String, actionID: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        let segment = actionID.addingPercentEncoding(withAllowedCharacters: allowed) ?? actionID
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return "\(trimmed)/actions/\(segment)/log"
    }
}
