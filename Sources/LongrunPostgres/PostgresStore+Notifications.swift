import Foundation
import Logging
import LongrunCore
import PostgresNIO

extension PostgresStore {
    /// Listens on a connection of its own for as long as `body` runs, reconnecting with
    /// back-off when the connection drops. Each (re)subscription is announced with
    /// ``StoreNotification/subscribed`` so the consumer re-reads what it may have missed.
    /// A polling store opens no connection and announces it every poll interval instead.
    public func withNotifications<Result: Sendable>(
        on channels: Set<NotificationChannel>,
        _ body: (AsyncStream<StoreNotification>) async throws -> Result
    ) async throws -> Result {
        let (stream, continuation) = AsyncStream<StoreNotification>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            switch notifications {
            case .listen: group.addTask { await listen(on: channels, into: continuation) }
            case .poll(let interval): group.addTask { await tick(every: interval, into: continuation) }
            }
            defer { group.cancelAll() }
            return try await body(stream)
        }
    }

    public func keepChangesAnnounced(for duration: Duration) async throws {
        // A polling store's publishers send nothing at all; its waiters re-read on a timer.
        guard notifications == .listen else { return }
        _ = try await query(
            """
            UPDATE change_feed
            SET watched_until = greatest(watched_until, now() + \(duration.inMilliseconds) * interval '1 millisecond')
            """)
    }

    private func listen(
        on channels: Set<NotificationChannel>, into continuation: AsyncStream<StoreNotification>.Continuation
    ) async {
        var pause = Duration.milliseconds(100)
        while !Task.isCancelled {
            let connected = ContinuousClock.now
            do {
                // A connection of its own, not a pooled lease: PostgresNIO 1.33's pool,
                // handed back a connection the server had just terminated, was seen to
                // leave the next caller waiting for ever (a killed LISTEN hung the node).
                let connection = try await url.connect(logger: logger)
                do {
                    try await subscribe(connection, to: Array(channels), into: continuation)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "the LISTEN connection failed; reconnecting",
                    metadata: ["longrun.error": "\(String(reflecting: error))", "longrun.retry_in": "\(pause)"]
                )
            }
            // Back off while connecting keeps failing; a connection that lived a while
            // starts the back-off afresh.
            if ContinuousClock.now - connected > .seconds(10) { pause = .milliseconds(100) }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
        continuation.finish()
    }

    private func tick(every interval: Duration, into continuation: AsyncStream<StoreNotification>.Continuation) async {
        while !Task.isCancelled {
            continuation.yield(.subscribed)
            try? await Task.sleep(for: interval)
        }
        continuation.finish()
    }

    /// LISTENs on each channel in turn (each UNLISTENs when its closure ends), then
    /// forwards what arrives until the connection ends.
    private func subscribe(
        _ connection: PostgresConnection, to channels: [NotificationChannel],
        subscribed: [(NotificationChannel, PostgresNotificationSequence)] = [],
        into continuation: AsyncStream<StoreNotification>.Continuation
    ) async throws {
        if let channel = channels.first {
            try await connection.listen(on: channel.rawValue) { notifications in
                try await subscribe(
                    connection, to: Array(channels.dropFirst()), subscribed: subscribed + [(channel, notifications)],
                    into: continuation)
            }
            return
        }
        continuation.yield(.subscribed)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (channel, notifications) in subscribed {
                group.addTask {
                    for try await notification in notifications {
                        continuation.yield(
                            .received(channel, notification.payload.split(separator: ",").map(String.init)))
                    }
                }
            }
            // A sequence ends only when its connection does.
            try await group.next()
            group.cancelAll()
        }
    }
}

extension PostgresStore: WorkerStore {}
