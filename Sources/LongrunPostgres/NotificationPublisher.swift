import Logging
import LongrunCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Sends NOTIFY after commits, coalesced: whatever a process announces within one short
/// window goes out in one statement (payloads split at the size limit).
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
        var channels: [String] = []
        var payloads: [String] = []
        for (channel, items) in batch.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for payload in Self.payloads(items.sorted()) {
                channels.append(channel.rawValue)
                payloads.append(payload)
            }
        }
        guard !payloads.isEmpty else { return }
        do {
            // One statement for the whole flush. `changed` only goes out while an API node
            // has a waiter; checked here, after the commits it announces (see
            // sql/0008_change_feed.sql for why that leaves no change unannounced).
            _ = try await client.query(
                """
                SELECT pg_notify(channel, payload)
                FROM unnest(\(channels)::text[], \(payloads)::text[]) AS notification (channel, payload)
                WHERE channel <> \(NotificationChannel.changed.rawValue)
                    OR EXISTS (SELECT FROM change_feed WHERE watched_until > now())
                """,
                logger: logger
            ).collect()
        } catch {
            logger.warning(
                "notifications were not sent; listeners will find the changes by polling",
                metadata: [
                    "longrun.channels": "\(Set(channels).sorted())", "longrun.error": "\(String(reflecting: error))",
                ]
            )
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
