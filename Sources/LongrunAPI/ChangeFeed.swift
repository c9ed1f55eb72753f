import Foundation
import Logging
import LongrunCore
import ServiceLifecycle
import Synchronization

/// An API node's one LISTEN on `longrun_changed`, fanned out to every long poll and event
/// stream on the node: a waiter re-reads its operation when the feed says it changed,
/// and never polls the table on its own. When the LISTEN connection is re-established,
/// every waiter re-reads, since what changed meanwhile was not announced to anyone.
///
/// Publishers send `longrun_changed` only while some API node has a waiter. Before a
/// waiter reads its operation, the feed makes sure they announce for a while yet
/// (``NotificationSource/keepChangesAnnounced(for:)``), and it renews that while it
/// has waiters.
///
/// Watches are bounded: past `limit` the node refuses new ones (the routes answer 503)
/// rather than holding more connections than it can serve.
public final class ChangeFeed: Service, Sendable {
    /// One waiter's registration; the feed rings it when its operation changes.
    final class Watch: Sendable {
        let operationID: UUID
        fileprivate let doorbell = Doorbell()
        private let closed = Atomic<Bool>(false)

        fileprivate init(operationID: UUID) { self.operationID = operationID }

        /// Returns when the operation may have changed or the watch was closed (true), or
        /// after `timeout` (false).
        @discardableResult
        func wait(upTo timeout: Duration) async -> Bool { await doorbell.wait(upTo: timeout) }

        /// The node is shutting down: waiters answer with what they have.
        var isClosed: Bool { closed.load(ordering: .relaxed) }

        func close() {
            closed.store(true, ordering: .relaxed)
            doorbell.ring()
        }
    }

    /// Ends its watch when released, whatever path the request took.
    final class Lease: Sendable {
        let feed: ChangeFeed
        let watch: Watch

        init(feed: ChangeFeed, watch: Watch) {
            self.feed = feed
            self.watch = watch
        }

        func end() { feed.end(watch) }

        deinit { feed.end(watch) }
    }

    private struct Watchers {
        var byOperation: [UUID: [ObjectIdentifier: Watch]] = [:]
        var count = 0
    }

    /// Until when publishers are known to announce changes, and the renewal under way.
    private struct Announcing {
        /// A local instant taken before the renewal was sent, so never later than the
        /// database's own end of it.
        var until: ContinuousClock.Instant?
        var renewal: Task<Void, any Error>?
    }

    /// A waiter starts with at least this much of announcing ahead of it.
    static let announcingAhead: Duration = .seconds(20)
    /// How far one renewal reaches; after the last waiter has gone, publishers go on
    /// announcing for at most this long.
    static let announcingLease: Duration = .seconds(30)
    /// How often a node with waiters looks whether to renew.
    static let renewalCheck: Duration = .seconds(5)

    private let source: any NotificationSource
    let limit: Int
    private let logger: Logger
    private let watchers = Mutex(Watchers())
    private let announcing = Mutex(Announcing())

    public init(source: any NotificationSource, limit: Int, logger: Logger) {
        self.source = source
        self.limit = limit
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.renewWhileWatched() }
                group.addTask {
                    try await self.source.withNotifications(on: [.changed]) { notifications in
                        for await notification in notifications {
                            switch notification {
                            case .subscribed: self.ringAll()
                            case .received(.changed, let ids): self.ring(ids.compactMap(UUID.init(uuidString:)))
                            case .received: break
                            }
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Registers a waiter on `id`, once publishers announce changes for at least
    /// ``announcingAhead``; nil when the node already serves `limit` waiters. Throws when
    /// the database could not be asked to announce.
    func watch(_ id: UUID) async throws -> Watch? {
        try await keepAnnouncing()
        let watch = Watch(operationID: id)
        let added = watchers.withLock { watchers -> Bool in
            guard watchers.count < limit else { return false }
            watchers.byOperation[id, default: [:]][ObjectIdentifier(watch)] = watch
            watchers.count += 1
            return true
        }
        return added ? watch : nil
    }

    func end(_ watch: Watch) {
        watchers.withLock { watchers in
            guard watchers.byOperation[watch.operationID]?.removeValue(forKey: ObjectIdentifier(watch)) != nil
            else { return }
            watchers.count -= 1
            if watchers.byOperation[watch.operationID]?.isEmpty == true {
                watchers.byOperation[watch.operationID] = nil
            }
        }
    }

    /// Runs `body` with a watch on `id`, ended on every path; the watch is closed when the
    /// server shuts down gracefully, so long polls and streams do not hold the shutdown.
    /// Nil when the node is at its bound.
    func withWatch<Result: Sendable>(
        on id: UUID, _ body: (Watch) async throws -> Result
    ) async throws -> Result? {
        guard let watch = try await watch(id) else { return nil }
        defer { end(watch) }
        return try await withGracefulShutdownHandler {
            try await body(watch)
        } onGracefulShutdown: {
            watch.close()
        }
    }

    /// How many waiters the node holds now.
    public var count: Int { watchers.withLock { $0.count } }

    private func ring(_ ids: [UUID]) {
        let rung = watchers.withLock { watchers in
            ids.flatMap { watchers.byOperation[$0].map { Array($0.values) } ?? [] }
        }
        for watch in rung { watch.doorbell.ring() }
    }

    /// Returns once publishers announce changes for at least ``announcingAhead``. One
    /// renewal at a time, however many waiters arrive together.
    private func keepAnnouncing() async throws {
        while true {
            let renewal: Task<Void, any Error>? = announcing.withLock { announcing in
                let now = ContinuousClock.now
                if let until = announcing.until, until - now >= Self.announcingAhead { return nil }
                if let renewal = announcing.renewal { return renewal }
                let lapsed = announcing.until.map { $0 <= now } ?? false
                let renewal = Task { try await self.renewAnnouncing(from: now, lapsed: lapsed) }
                announcing.renewal = renewal
                return renewal
            }
            guard let renewal else { return }
            try await renewal.value
        }
    }

    private func renewAnnouncing(from start: ContinuousClock.Instant, lapsed: Bool) async throws {
        do {
            try await source.keepChangesAnnounced(for: Self.announcingLease)
        } catch {
            announcing.withLock { $0.renewal = nil }
            throw error
        }
        announcing.withLock { announcing in
            announcing.until = start + Self.announcingLease
            announcing.renewal = nil
        }
        // The lease had run out. Any waiter still registered outlived it (renewals were
        // failing), so changes may have gone unannounced: each reads again. After an
        // idle spell there is nobody to ring.
        if lapsed { ringAll() }
    }

    private func renewWhileWatched() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.renewalCheck)
            guard count > 0 else { continue }
            do {
                try await keepAnnouncing()
            } catch  where !Task.isCancelled {
                logger.warning(
                    "could not keep changes announced; waiters may answer late",
                    metadata: ["longrun.error": "\(String(reflecting: error))"])
            } catch {
                return
            }
        }
    }

    private func ringAll() {
        let all = watchers.withLock { watchers in watchers.byOperation.values.flatMap(\.values) }
        for watch in all { watch.doorbell.ring() }
    }
}
