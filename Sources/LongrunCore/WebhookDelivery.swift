import Foundation

/// A message the notifier owes a receiver: written in the same transaction as the
/// change it reports (a transactional outbox), sent at least once.
public struct WebhookDelivery: Sendable, Hashable {
    public enum Format: String, Sendable, Codable, CaseIterable, Hashable {
        /// Standard Webhooks to `callback_url`, signed with the tenant's secret.
        case standard
        /// The Ouro platform's completion call to `ouro-webhook-url`.
        case ouro
        /// One log line forwarded to the Ouro actions API.
        case ouroLog = "ouro_log"
    }

    public enum Status: String, Sendable, Codable, CaseIterable, Hashable {
        case pending, delivered, dead
        /// The receiver answered `410 Gone`.
        case stopped
    }

    /// Stable across retries: the `webhook-id` receivers dedupe on.
    public var id: UUID
    public var operationID: UUID
    public var format: Format
    public var url: String
    public var status: Status
    public var nextAttemptAt: Date
    public var createdAt: Date
    /// For `ouroLog`: the log line it carries.
    public var logID: Int64?
    public var attempts: [DeliveryAttempt]

    /// The `webhook-id` receivers see and dedupe on: `msg_` and the id's hex digits.
    public var webhookID: String { Self.webhookID(for: id) }

    public static func webhookID(for id: UUID) -> String {
        // Filtered byte by byte: Foundation's `replacingOccurrences` bridges through
        // NSString, a few percent of a notifier's time at one call per webhook.
        "msg_" + String(decoding: id.lowercasedText.utf8.lazy.filter { $0 != UInt8(ascii: "-") }, as: UTF8.self)
    }

    /// The delivery id inside a `webhook-id` (`msg_` + 32 hex digits), or nil.
    public static func id(fromWebhookID text: String) -> UUID? {
        guard text.hasPrefix("msg_") else { return nil }
        let hex = Array(text.dropFirst(4))
        guard hex.count == 32 else { return nil }
        let groups = [hex[0..<8], hex[8..<12], hex[12..<16], hex[16..<20], hex[20..<32]].map { String($0) }
        return UUID(uuidString: groups.joined(separator: "-"))
    }

    public init(
        id: UUID, operationID: UUID, format: Format, url: String, status: Status, nextAttemptAt: Date,
        createdAt: Date, logID: Int64?, attempts: [DeliveryAttempt]
    ) {
        self.id = id
        self.operationID = operationID
        self.format = format
        self.url = url
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.logID = logID
        self.attempts = attempts
    }
}

/// One try at sending a delivery, kept for `GET …/deliveries`.
public struct DeliveryAttempt: Sendable, Hashable {
    /// 1 for the first try.
    public var number: Int
    public var at: Date
    public var responseStatus: Int?
    /// The start of the receiver's answer, bounded.
    public var responseExcerpt: String?
    public var error: String?
    public var latencyMilliseconds: Int

    public init(
        number: Int, at: Date, responseStatus: Int?, responseExcerpt: String?, error: String?,
        latencyMilliseconds: Int
    ) {
        self.number = number
        self.at = at
        self.responseStatus = responseStatus
        self.responseExcerpt = responseExcerpt
        self.error = error
        self.latencyMilliseconds = latencyMilliseconds
    }
}
