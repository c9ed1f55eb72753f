import Foundation

/// What a notifier asks of the database. A claim moves each row's due time past the
/// send timeout and counts the attempt, so a notifier that dies mid-send leaves the row
/// due again for another; every later write names the attempt it claimed, so a late
/// answer never overwrites a newer attempt's.
public protocol DeliveryStore: SchemaReadiness, NotificationSource {
    /// Claims up to `limit` due deliveries of `formats`, oldest due first, skipping rows
    /// other notifiers hold; each is held for `hold`. Log forwards of one operation are
    /// claimed one at a time, in the order the lines were written.
    func claimDeliveries(
        limit: Int, formats: Set<WebhookDelivery.Format>, hold: Duration
    ) async throws -> [ClaimedDelivery]
    /// Records how attempts went, in one statement for the whole batch.
    func settleDeliveries(_ results: [DeliveryResult]) async throws
    /// Due deliveries of `formats`, for the metrics.
    func deliveryBacklog(formats: Set<WebhookDelivery.Format>) async throws -> DeliveryBacklog
}

/// A delivery a notifier holds, with everything its message is built from.
public struct ClaimedDelivery: Sendable {
    public var id: UUID
    public var format: WebhookDelivery.Format
    /// As stored: the receiver's URL, or for log forwards the path under the Ouro base.
    public var url: String
    /// This try's number, 1 for the first.
    public var attempt: Int
    /// The operation as it is now (terminal for completion webhooks).
    public var operation: OperationRecord
    /// The tenant's signing secret.
    public var secret: WebhookSecret
    /// For log forwards: the line.
    public var log: OperationLogEntry?

    public init(
        id: UUID, format: WebhookDelivery.Format, url: String, attempt: Int, operation: OperationRecord,
        secret: WebhookSecret, log: OperationLogEntry?
    ) {
        self.id = id
        self.format = format
        self.url = url
        self.attempt = attempt
        self.operation = operation
        self.secret = secret
        self.log = log
    }
}

/// How one claimed attempt ended.
public struct DeliveryResult: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// A 2xx answer.
        case delivered
        /// Due again after `delay`.
        case retry(after: Duration)
        /// No attempts left, or the destination is refused.
        case dead
        /// The receiver answered `410 Gone`.
        case stopped
        /// Not sent (shutdown): due at once, and the attempt does not count.
        case released
    }

    public var deliveryID: UUID
    public var outcome: Outcome
    /// The attempt as it is listed; its number is the one claimed. Nil for `released`.
    public var attempt: DeliveryAttempt?
    /// The number claimed, which fences the write.
    public var attemptNumber: Int

    public init(deliveryID: UUID, attemptNumber: Int, outcome: Outcome, attempt: DeliveryAttempt?) {
        self.deliveryID = deliveryID
        self.attemptNumber = attemptNumber
        self.outcome = outcome
        self.attempt = attempt
    }
}

/// Deliveries waiting to be sent.
public struct DeliveryBacklog: Sendable, Hashable {
    /// Due now and not held by a notifier.
    public var due: Int
    /// When the longest-waiting due delivery became due.
    public var oldestDueSince: Date?

    public init(due: Int, oldestDueSince: Date?) {
        self.due = due
        self.oldestDueSince = oldestDueSince
    }
}

/// Where and how log lines go to the Ouro actions API.
public struct OuroLogForwarding: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    public var baseURL: String
    public var apiKey: String

    public init(baseURL: String, apiKey: String) {
        self.baseURL = baseURL
        self.apiKey = apiKey
    }

    public var description: String { "OuroLogForwarding(baseURL: \(baseURL), apiKey: <redacted>)" }

    public var customMirror: Mirror { Mirror(self, children: ["baseURL": baseURL, "apiKey": "<redacted>"]) }
}
