import Foundation
import LongrunCore

/// `GET /v1/operations`.
struct ListBody: Encodable {
    var operations: [OperationResource]
    var nextPageToken: String?

    enum CodingKeys: String, CodingKey {
        case operations
        case nextPageToken = "next_page_token"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(operations, forKey: .operations)
        try container.encode(nextPageToken, forKey: .nextPageToken)
    }
}

/// `GET /v1/operations/{id}/logs`.
struct LogsBody: Encodable {
    struct Line: Encodable {
        var at: Timestamp
        var level: OperationLogEntry.Level
        var message: String

        init(_ entry: OperationLogEntry) {
            at = Timestamp(entry.at)
            level = entry.level
            message = entry.message
        }
    }

    var logs: [Line]
}

/// `GET /v1/operations/{id}/deliveries`.
struct DeliveriesBody: Encodable {
    struct Delivery: Encodable {
        var id: String
        var url: String
        var format: WebhookDelivery.Format
        var status: WebhookDelivery.Status
        var nextAttemptAt: Timestamp?
        var attempts: [Attempt]

        enum CodingKeys: String, CodingKey {
            case id, url, format, status, attempts
            case nextAttemptAt = "next_attempt_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(url, forKey: .url)
            try container.encode(format, forKey: .format)
            try container.encode(status, forKey: .status)
            try container.encode(nextAttemptAt, forKey: .nextAttemptAt)
            try container.encode(attempts, forKey: .attempts)
        }
    }

    struct Attempt: Encodable {
        var n: Int
        var at: Timestamp
        var responseStatus: Int?
        var responseExcerpt: String?
        var error: String?
        var latencyMs: Int

        enum CodingKeys: String, CodingKey {
            case n, at, error
            case responseStatus = "response_status"
            case responseExcerpt = "response_excerpt"
            case latencyMs = "latency_ms"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(n, forKey: .n)
            try container.encode(at, forKey: .at)
            try container.encode(responseStatus, forKey: .responseStatus)
            try container.encode(responseExcerpt, forKey: .responseExcerpt)
            try container.encode(error, forKey: .error)
            try container.encode(latencyMs, forKey: .latencyMs)
        }
    }

    var deliveries: [Delivery]

    init(_ deliveries: [WebhookDelivery]) {
        self.deliveries = deliveries.filter { $0.format != .ouroLog }.map { delivery in
            Delivery(
                id: delivery.webhookID,
                url: delivery.url,
                format: delivery.format,
                status: delivery.status,
                nextAttemptAt: delivery.status == .pending ? Timestamp(delivery.nextAttemptAt) : nil,
                attempts: delivery.attempts.map {
                    Attempt(
                        n: $0.number, at: Timestamp($0.at), responseStatus: $0.responseStatus,
                        responseExcerpt: $0.responseExcerpt, error: $0.error, latencyMs: $0.latencyMilliseconds
                    )
                }
            )
        }
    }
}
