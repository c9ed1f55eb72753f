import Foundation
import LongrunCore
import Metrics

/// The notifier's metrics, with the handles made once: swift-metrics looks a handle up
/// by name and labels under a lock on every construction.
struct NotifierMetrics: Sendable {
    enum Event: String, CaseIterable {
        case delivered, retried, dead, stopped, released
    }

    private let outcomes: [String: Counter]
    private let latency: [WebhookDelivery.Format: Timer]
    private let backlog = Gauge(label: "longrun_notifier_backlog")
    private let oldestDue = Gauge(label: "longrun_notifier_oldest_due_seconds")

    init() {
        var outcomes: [String: Counter] = [:]
        var latency: [WebhookDelivery.Format: Timer] = [:]
        for format in WebhookDelivery.Format.allCases {
            for event in Event.allCases {
                outcomes["\(format.rawValue)/\(event.rawValue)"] = Counter(
                    label: "longrun_notifier_deliveries_total",
                    dimensions: [("format", format.rawValue), ("outcome", event.rawValue)])
            }
            latency[format] = Timer(
                label: "longrun_notifier_attempt_duration_seconds", dimensions: [("format", format.rawValue)],
                preferredDisplayUnit: .seconds)
        }
        self.outcomes = outcomes
        self.latency = latency
    }

    func count(_ event: Event, format: WebhookDelivery.Format) {
        outcomes["\(format.rawValue)/\(event.rawValue)"]?.increment()
    }

    func attempt(_ duration: Duration, format: WebhookDelivery.Format) {
        latency[format]?.recordNanoseconds(duration.inMilliseconds * 1_000_000)
    }

    /// Due deliveries, and how long the oldest of them has waited.
    func backlog(_ value: DeliveryBacklog) {
        backlog.record(value.due)
        oldestDue.record(value.oldestDueSince.map { max(0, -$0.timeIntervalSinceNow) } ?? 0)
    }
}
