import Logging
import LongrunCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Sends NOTIFY after commits, coalesced: whatever a process announces within one short
/// window goes out as one `pg_notify` per channel (payloads split at the size limit).
///
/// Writers call ``announce(_:on:)`` after their transaction commits and move on; the
/// publisher runs as a service in the process's ServiceGroup. A lost notification costs
/// only latency: every listener also polls slowly.
public final class NotificationPublisher: Service {
    private let client: PostgresClient
    private let logger: Logger
    private let window: Duration
    /// False for a polling store (``NotificationMode/poll(every:)``): announcements are dropped.
    private let sends: Bool
    private let pending = Mutex<[NotificationChannel: Set<String>]>([:])
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation

    public init(client: PostgresClient, sends: Bool = true, logger: Logger, window: Duration = .milliseconds(2)) {
        self.client = client
        self.logger = logger
        self.window = window
        self.sends = sends
        (doorbell, ring) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `items` (queue names, operation ids) for the next notification on `channel`.
    public func announce(_ items: some Sequence<String>, on channel: NotificationChannel) {
        guard sends else { return }
        pending.withLock { $0[channel, default: []].formUnion(items) }
        ring.yield()
    }

    public func run() async throws {
        for await _ in doorbell.cancelOnGracefulShutdown() {
            try? await Task.sleep(for: window)
            await flush()
        }
        await flush()
    }

    private func flush() async {
        let batch = pending.withLock { pending in
            defer { pending = [:] }
            return pending
        }
        for (channel, items) in batch {
            for payload in Self.payloads(items.sorted()) {
                do {
                    try await client.query("SELECT pg_notify(\(channel.rawValue), \(payload))", logger: logger)
                } catch {
                    logger.warning(
                        "a notification was not sent; listeners will find the change by polling",
                        metadata: [
                            "longrun.channel": "\(channel.rawValue)", "longrun.error": "\(String(reflecting: error))",
                        ]
                    )
                }
            }
        }
    }

    /// Comma-separated payloads, each under PostgreSQL's limit.
    static func payloads(_ items: [String]) -> [String] {
        var payloads: [String] = []
        var current = ""
        for item in items {
            if !current.isEmpty, current.utf8.count + 1 + item.utf8.count > NotificationChannel.payloadLimit {
                payloads.append(current)
                current = ""
            }
            current += current.isEmpty ? item : "," + item
        }
        if !current.isEmpty { payloads.append(current) }
        return payloads
    }
}
