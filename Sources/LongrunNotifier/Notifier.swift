import AsyncHTTPClient
import Foundation
import Logging
import LongrunCore
import NIOCore
import ServiceLifecycle
import Synchronization

/// A notifier process's service: sends the webhooks and Ouro log forwards that the
/// outbox holds, at least once, to any number of receivers at once.
///
/// Loops: the claimer (woken by `LISTEN longrun_deliveries`, a freed send slot, a retry
/// of its own coming due, or the fallback poll), one task per send, the result writer
/// (many attempts per statement) and the backlog gauge. Any number of notifiers may
/// run: claims skip rows another holds.
///
/// ```swift
/// let notifier = Notifier(store: store, configuration: .init(), logger: logger)
/// // in a ServiceGroup after the store's pool
/// ```
public final class Notifier: Service {
    let store: any DeliveryStore
    let configuration: NotifierConfiguration
    let logger: Logger
    private let metrics = NotifierMetrics()
    private let doorbell = Doorbell()
    private let writer: DeliveryResultWriter
    private let stopping = Atomic<Bool>(false)
    private let state = Mutex(State())

    private struct State {
        /// Sends in flight, each under a token of its own (a delivery whose claim lapsed
        /// can be in flight twice), to cancel them at shutdown.
        var sending: [UUID: Task<Void, Never>] = [:]
        /// The earliest retry this notifier scheduled, so it wakes for it.
        var nextRetry: ContinuousClock.Instant?
    }

    public init(store: any DeliveryStore, configuration: NotifierConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.writer = DeliveryResultWriter(store: store, giveUpAfter: configuration.claimHold, logger: logger)
    }

    public func run() async throws {
        // SIGTERM while waiting for the schema ends the wait, and the service with it.
        do {
            try await cancelWhenGracefulShutdown {
                try await self.store.waitForSchema(poll: self.configuration.pollInterval) { message, detail in
                    self.logger.warning("\(message)", metadata: ["longrun.detail": "\(detail)"])
                }
            }
        } catch is CancellationError {
            return
        }
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.decompression = .disabled
        clientConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let sender = WebhookSender(
            client: client, timeout: configuration.sendTimeout,
            allowPrivateCallbacks: configuration.allowPrivateCallbacks)
        logger.info(
            "notifier started",
            metadata: [
                "longrun.concurrency": "\(configuration.concurrency)",
                "longrun.formats": "\(configuration.formats.map(\.rawValue).sorted())",
            ])
        async let written: Void = writer.run()
        let sending: Result<Void, any Error>
        do {
            try await store.withNotifications(on: [.deliveries]) { notifications in
                await withTaskGroup(of: Void.self) { background in
                    background.addTask { await self.consume(notifications) }
                    background.addTask { await self.measureBacklog() }
                    await withGracefulShutdownHandler {
                        await self.claimUntilStopping(sender: sender)
                        await self.drain()
                    } onGracefulShutdown: {
                        self.stopping.store(true, ordering: .relaxed)
                        self.doorbell.ring()
                    }
                    background.cancelAll()
                }
            }
            sending = .success(())
        } catch {
            sending = .failure(error)
        }
        // Every send has ended: the last results go out before the pool closes, and the
        // client is shut down on every path (it must be, before it is released).
        writer.close()
        await written
        try await client.shutdown()
        try sending.get()
        logger.info("notifier stopped")
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) || Task.isCancelled }

    private func claimUntilStopping(sender: WebhookSender) async {
        var spacing = ClaimSpacing()
        while !isStopping {
            var free = configuration.concurrency - state.withLock { $0.sending.count }
            if free > 0, free < configuration.concurrency / 2 {
                // Sends end one by one; let a few more end so one claim refills many
                // slots, rather than one claim per slot.
                try? await Task.sleep(for: .milliseconds(2))
                free = configuration.concurrency - state.withLock { $0.sending.count }
            }
            if free > 0 {
                await spacing.wait()
                do {
                    let claimed = try await store.claimDeliveries(
                        limit: free, formats: configuration.formats, hold: configuration.claimHold)
                    spacing.claimed(claimed.count, of: free)
                    for delivery in claimed { start(delivery, sender: sender) }
                    if claimed.count == free { continue }
                } catch {
                    logger.warning(
                        "claiming deliveries failed; trying again",
                        metadata: ["longrun.error": "\(String(reflecting: error))"])
                }
            }
            await doorbell.wait(upTo: nextWake())
        }
    }

    /// The fallback poll, or sooner when a retry of this notifier's comes due.
    private func nextWake() -> Duration {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let retry = state.nextRetry else { return configuration.pollInterval }
            if retry <= now {
                state.nextRetry = nil
                return .zero
            }
            return min(configuration.pollInterval, retry - now)
        }
    }

    private func start(_ delivery: ClaimedDelivery, sender: WebhookSender) {
        // The send runs in a Task of its own, which shutdown can cancel by its token, and
        // leaves the table when done: no other task waits on it. It is made under the
        // lock, so it cannot leave the table before it is in it.
        let token = UUID()
        state.withLock { state in
            state.sending[token] = Task {
                await self.deliver(delivery, sender: sender)
                self.state.withLock { _ = $0.sending.removeValue(forKey: token) }
                self.doorbell.ring()
            }
        }
    }

    /// One attempt: build, send, judge, and hand the result to the writer.
    private func deliver(_ delivery: ClaimedDelivery, sender: WebhookSender) async {
        let started = ContinuousClock.now
        let at = Date()
        let reply: WebhookSender.Reply
        do {
            reply = await sender.send(try WebhookMessage.build(for: delivery, now: at, ouro: configuration.ouro))
        } catch {
            reply = WebhookSender.Reply(error: "the message could not be built: \(error)", refused: true)
        }
        let elapsed = ContinuousClock.now - started
        if Task.isCancelled, reply.status == nil {
            // Shutdown cut the send short: give it back, uncounted.
            metrics.count(.released, format: delivery.format)
            writer.write(
                DeliveryResult(
                    deliveryID: delivery.id, attemptNumber: delivery.attempt, outcome: .released, attempt: nil))
            return
        }
        metrics.attempt(elapsed, format: delivery.format)
        let outcome = judge(reply, attempt: delivery.attempt)
        switch outcome {
        case .delivered: metrics.count(.delivered, format: delivery.format)
        case .stopped: metrics.count(.stopped, format: delivery.format)
        case .dead:
            metrics.count(.dead, format: delivery.format)
            logger.warning(
                "a delivery is dead",
                metadata: [
                    "longrun.delivery.id": "\(delivery.id.lowercasedText)",
                    "longrun.operation.id": "\(delivery.operation.id.lowercasedText)",
                    "longrun.attempts": "\(delivery.attempt)",
                ])
        case .retry(let delay):
            metrics.count(.retried, format: delivery.format)
            let due = ContinuousClock.now + delay
            state.withLock { state in state.nextRetry = min(state.nextRetry ?? due, due) }
        case .released: break
        }
        writer.write(
            DeliveryResult(
                deliveryID: delivery.id, attemptNumber: delivery.attempt, outcome: outcome,
                attempt: DeliveryAttempt(
                    number: delivery.attempt, at: at, responseStatus: reply.status, responseExcerpt: reply.excerpt,
                    error: reply.error, latencyMilliseconds: Int(elapsed.inMilliseconds))
            ))
    }

    /// Any 2xx delivers; 410 stops; a refused destination is dead at once; anything else
    /// is tried again on the schedule, then dead.
    func judge(_ reply: WebhookSender.Reply, attempt: Int) -> DeliveryResult.Outcome {
        if let status = reply.status {
            if (200...299).contains(status) { return .delivered }
            if status == 410 { return .stopped }
        }
        if reply.refused { return .dead }
        var generator = SystemRandomNumberGenerator()
        guard
            let delay = configuration.retrySchedule.delay(
                afterAttempt: attempt, retryAfter: reply.retryAfter, using: &generator)
        else { return .dead }
        return .retry(after: delay)
    }

    /// At shutdown: in-flight sends get the grace period; the rest are cancelled and
    /// released for another notifier.
    private func drain() async {
        let deadline = ContinuousClock.now + configuration.shutdownGrace
        var inFlight = state.withLock { $0.sending.count }
        if inFlight > 0 {
            logger.info("shutting down: waiting for sends in flight", metadata: ["longrun.sending": "\(inFlight)"])
        }
        while inFlight > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            await doorbell.wait(upTo: deadline - ContinuousClock.now)
            inFlight = state.withLock { $0.sending.count }
        }
        for send in state.withLock({ Array($0.sending.values) }) { send.cancel() }
        // A cancelled send ends at once and queues its release; the writer takes it
        // before it closes.
        while state.withLock({ !$0.sending.isEmpty }), !Task.isCancelled {
            await doorbell.wait(upTo: .seconds(1))
        }
    }

    private func consume(_ notifications: AsyncStream<StoreNotification>) async {
        for await notification in notifications {
            switch notification {
            case .subscribed, .received(.deliveries, _): doorbell.ring()
            case .received: break
            }
        }
    }

    private func measureBacklog() async {
        while !Task.isCancelled {
            if let backlog = try? await store.deliveryBacklog(formats: configuration.formats) {
                metrics.backlog(backlog)
            }
            try? await Task.sleep(for: max(configuration.pollInterval, .seconds(5)))
        }
    }
}
