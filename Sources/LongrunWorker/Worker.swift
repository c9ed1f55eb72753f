import Foundation
import Logging
import LongrunCore
import ServiceLifecycle
import Synchronization

/// A worker process's service: claims operations into its slots, runs their handlers,
/// keeps their leases alive and writes how they end.
///
/// Loops: the claimer (woken by `LISTEN longrun_work`, a freed slot, or the fallback
/// poll), the heartbeat (one statement for every lease held, then a rescue pass over
/// the cluster's expired leases), the notification consumer (cancels reach a handler's
/// Task the moment the NOTIFY arrives), and the progress writer.
///
/// ```swift
/// let worker = Worker(store: store, registry: .demoKinds, configuration: .init(queues: ["default"]), logger: logger)
/// // in a ServiceGroup after the store's pool and publisher
/// ```
public final class Worker: Service {
    let store: any WorkerStore
    let registry: HandlerRegistry
    let configuration: WorkerConfiguration
    let logger: Logger
    private let metrics = WorkerMetrics()
    private let runs = RunningOperations()
    /// Runs whose handler has returned and whose end is still being written. Their slots
    /// are free, but heartbeats keep their leases until the write: a rescuer must not
    /// run again an operation whose end is only waiting for its statement.
    private let settling = RunningOperations()
    private let draining = Atomic<Bool>(false)
    private let doorbell = Doorbell()
    private let reporter: ProgressReporter
    private let departures: DepartureWriter

    public init(store: any WorkerStore, registry: HandlerRegistry, configuration: WorkerConfiguration, logger: Logger) {
        self.store = store
        self.registry = registry
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "longrun.worker.id"] = "\(configuration.id.lowercasedText)"
        self.logger = logger
        let runs = self.runs
        let cancelGrace = configuration.cancelGrace
        self.departures = DepartureWriter(store: store, giveUpAfter: configuration.lease, logger: logger)
        self.reporter = ProgressReporter(store: store, interval: configuration.progressInterval, logger: logger) {
            lost in
            for run in runs.holding(leaseTokens: lost) { run.stop(.leaseLost, grace: cancelGrace) }
        }
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
        try await store.registerWorker(
            WorkerRecord(
                id: configuration.id, host: ProcessInfo.processInfo.hostName,
                pid: Int(ProcessInfo.processInfo.processIdentifier), queues: configuration.queues,
                concurrency: configuration.concurrency, startedAt: Date(), lastHeartbeatAt: Date()
            )
        )
        logger.info(
            "worker started",
            metadata: [
                "longrun.queues": "\(configuration.queues.joined(separator: ","))",
                "longrun.concurrency": "\(configuration.concurrency)", "longrun.kinds": "\(registry.kinds)",
            ]
        )
        try await store.withNotifications(on: [.work, .cancel]) { notifications in
            await withTaskGroup(of: Void.self) { background in
                background.addTask { await self.consume(notifications) }
                background.addTask { await self.beat() }
                background.addTask { await self.reporter.run() }
                background.addTask { await self.departures.run() }
                await withGracefulShutdownHandler {
                    await self.claimUntilDraining()
                    await self.drain()
                } onGracefulShutdown: {
                    self.draining.store(true, ordering: .relaxed)
                    self.doorbell.ring()
                }
                background.cancelAll()
            }
        }
        logger.info("worker stopped")
    }

    // MARK: Claiming

    private var isDraining: Bool { draining.load(ordering: .relaxed) || Task.isCancelled }

    private func claimUntilDraining() async {
        let kinds = registry.kinds
        var spacing = ClaimSpacing()
        while !isDraining {
            var free = configuration.concurrency - runs.count
            if free > 0, free < configuration.concurrency / 2 {
                // Runs end in batches (one write ends many); let the rest of a batch free
                // their slots so one claim fills them all, rather than one claim each.
                try? await Task.sleep(for: .milliseconds(2))
                free = configuration.concurrency - runs.count
            }
            if free > 0 {
                await spacing.wait()
                do {
                    let claimed = try await store.claim(
                        ClaimRequest(
                            workerID: configuration.id, slots: free, queues: configuration.queues, kinds: kinds,
                            lease: configuration.lease
                        )
                    )
                    spacing.claimed(claimed.count, of: free)
                    for operation in claimed { start(operation) }
                    // A full batch: more may be due, and the slots to take them are gone anyway.
                    if claimed.count == free { continue }
                } catch {
                    logger.warning(
                        "claiming failed; trying again", metadata: ["longrun.error": "\(String(reflecting: error))"])
                }
            }
            await doorbell.wait(upTo: configuration.pollInterval)
        }
    }

    private func start(_ operation: ClaimedOperation) {
        let run = OperationRun(operation) { run, outcome in self.ended(run, outcome) }
        let busy = runs.insert(run)
        metrics.count(.claimed, kind: operation.kind)
        metrics.busySlots(busy)
        let context = RunContext(operation: operation, reporter: reporter)
        let registry = registry
        run.start { try await registry.run(kind: operation.kind, input: operation.input, context: context) }
        if let deadline = operation.deadline { run.stop(at: deadline, grace: configuration.cancelGrace) }
    }

    /// At shutdown: running handlers get the grace period to finish; then they are
    /// cancelled, and the ones that stop are released for another worker to resume.
    private func drain() async {
        let deadline = ContinuousClock.now + configuration.shutdownGrace
        var busy = runs.count
        if busy > 0 {
            logger.info("shutting down: waiting for running operations", metadata: ["longrun.running": "\(busy)"])
        }
        while busy > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            await doorbell.wait(upTo: deadline - ContinuousClock.now)
            busy = runs.count
        }
        for run in runs.all { run.stop(.shutdown, grace: configuration.cancelGrace) }
        // Each stopped handler returns or is abandoned within the grace; then the write of
        // how it ended (a release, so another worker resumes it at once) must go out
        // before the departure writer stops. A run joins `settling` before it leaves
        // `runs`, so reading them in this order misses none.
        while !Task.isCancelled {
            let running = runs.count
            if running == 0, settling.count == 0 { break }
            await doorbell.wait(upTo: .seconds(1))
        }
    }

    // MARK: Running

    /// Called once per run, from the task that ended it: the handler's own, or the one
    /// that gave up on it. The slot is free from here: the write of how the run ended goes
    /// out in the next batch while the slot takes new work, so claiming and writing overlap
    /// instead of taking turns. The lease stays until that write.
    private func ended(_ run: OperationRun, _ outcome: OperationRun.Outcome) {
        let operation = run.operation
        metrics.runTime(ContinuousClock.now - run.startedAt, kind: operation.kind)
        _ = settling.insert(run)
        metrics.busySlots(runs.remove(run))
        doorbell.ring()
        // The run's progress and log lines land before its final state.
        if reporter.hasPending(operation) {
            Task {
                _ = await self.reporter.flush()
                self.settle(run, outcome)
            }
        } else {
            settle(run, outcome)
        }
    }

    /// The run's end is written (or needs no write): its lease is no longer this worker's.
    private func settled(_ run: OperationRun) {
        _ = settling.remove(run)
        if draining.load(ordering: .relaxed) { doorbell.ring() }
    }

    /// Writes how the run ended, fenced by its lease token, when it needs a write.
    private func settle(_ run: OperationRun, _ outcome: OperationRun.Outcome) {
        let operation = run.operation
        guard let (departure, event) = departure(of: run, outcome) else { return settled(run) }
        departures.write(Departure(id: operation.id, leaseToken: operation.leaseToken, outcome: departure)) {
            result in
            switch result {
            case .took:
                self.metrics.count(event, kind: operation.kind)
            case .leaseLost:
                self.logger.info(
                    "the operation was cancelled or rescued meanwhile; this attempt's end is discarded",
                    metadata: Self.metadata(of: operation))
                self.metrics.count(.leaseLost, kind: operation.kind)
            case .notWritten:
                break
            }
            self.settled(run)
        }
    }

    private typealias Ending = (outcome: Departure.Outcome, event: WorkerMetrics.Event)

    /// What the end of a run writes, and the event it counts as once written; nil when
    /// the operation is no longer this worker's to write (cancelled, lease lost).
    private func departure(of run: OperationRun, _ outcome: OperationRun.Outcome) -> Ending? {
        let operation = run.operation
        let about = { Self.metadata(of: operation) }
        if case .abandoned = outcome {
            logger.warning(
                "the handler ignored cancellation and was abandoned; its result will be discarded", metadata: about())
            metrics.count(.abandoned, kind: operation.kind)
        }
        let departure: Ending
        switch (run.stopReason, outcome) {
        case (.cancelledByClient, _):
            // When the handler returned, to compare with the cancel's commit (the
            // operation's finished_at): scripts/chaos checks it against the grace.
            var metadata = about()
            if outcome.handlerEnded, let returned = run.settledAt {
                metadata["longrun.handler_returned_at"] = "\(returned.formatted(Timestamp.style))"
            }
            logger.info("cancelled by a client", metadata: metadata)
            metrics.count(.cancelled, kind: operation.kind)
            return nil
        case (.leaseLost, _):
            logger.warning("the lease was lost (rescued or cancelled); the result is discarded", metadata: about())
            metrics.count(.leaseLost, kind: operation.kind)
            return nil
        case (.deadlineExceeded, _):
            let error = OperationError(
                code: .deadlineExceeded, message: "The operation ran past its deadline (timeout_seconds).")
            departure = (.failed(error), .failed)
        case (.shutdown, .returned(let result)), (nil, .returned(let result)):
            departure = (.succeeded(result), .succeeded)
        case (.shutdown, _):
            departure = (.release, .released)
        case (nil, .threw(let error as RetryableError)) where operation.attempt < operation.maxAttempts:
            let delay = configuration.retry.delay(afterAttempt: operation.attempt)
            departure = (.retry(reason: error.message, delay: delay), .retried)
            // This worker looks again when the retry is due rather than at its next poll.
            let doorbell = doorbell
            Task {
                try? await Task.sleep(for: delay)
                doorbell.ring()
            }
        case (nil, .threw(let error)):
            departure = (.failed(OperationError(code: .handlerError, message: Self.message(of: error))), .failed)
        case (nil, .abandoned):
            // Only a stopped run is abandoned.
            return nil
        }
        return departure
    }

    /// Built only when a line is logged: the hot path logs nothing.
    private static func metadata(of operation: ClaimedOperation) -> Logger.Metadata {
        ["longrun.operation.id": "\(operation.id.lowercasedText)", "longrun.operation.kind": "\(operation.kind)"]
    }

    /// What a failed operation's `error.message` says.
    static func message(of error: any Error) -> String {
        switch error {
        case let error as RetryableError: error.message
        case let error as InputValidationError: error.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
        case let error as any LocalizedError: error.errorDescription ?? "\(error)"
        default: "\(error)"
        }
    }

    // MARK: Heartbeat, rescue and notifications

    private func beat() async {
        while !Task.isCancelled {
            let scheduled = ContinuousClock.now + configuration.heartbeat
            try? await Task.sleep(until: scheduled)
            if Task.isCancelled { return }
            let held = runs.all + settling.all
            do {
                let kept = try await store.heartbeat(
                    workerID: configuration.id, leaseTokens: held.map(\.operation.leaseToken),
                    lease: configuration.lease)
                for run in held where !kept.contains(run.operation.leaseToken) {
                    run.stop(.leaseLost, grace: configuration.cancelGrace)
                }
                metrics.heartbeatLag(ContinuousClock.now - scheduled)
            } catch  where !Task.isCancelled {
                logger.warning("the heartbeat failed", metadata: ["longrun.error": "\(String(reflecting: error))"])
            } catch {
                return
            }
            await rescue()
        }
    }

    /// Takes back expired leases of any worker, and fails operations whose deadline
    /// passed before they started, a batch at a time.
    private func rescue() async {
        do {
            var report: RescueReport
            repeat {
                report = try await store.rescueExpiredLeases(limit: configuration.rescueBatchSize)
                for (kind, count) in report.retried { metrics.count(.rescued, kind: kind, by: count) }
                for (kind, count) in report.failed { metrics.count(.rescuedAndFailed, kind: kind, by: count) }
                if report.total > 0 {
                    logger.info(
                        "rescued operations whose worker stopped",
                        metadata: ["longrun.retried": "\(report.retried)", "longrun.failed": "\(report.failed)"]
                    )
                }
            } while report.total == configuration.rescueBatchSize && !Task.isCancelled
            var expired: [String: Int]
            repeat {
                expired = try await store.expireOverdue(limit: configuration.rescueBatchSize)
                for (kind, count) in expired { metrics.count(.expired, kind: kind, by: count) }
            } while expired.values.reduce(0, +) == configuration.rescueBatchSize && !Task.isCancelled
        } catch  where !Task.isCancelled {
            logger.warning(
                "rescuing expired leases failed", metadata: ["longrun.error": "\(String(reflecting: error))"])
        } catch {
            // Shutting down.
        }
    }

    private func consume(_ notifications: AsyncStream<StoreNotification>) async {
        for await notification in notifications {
            switch notification {
            case .subscribed:
                doorbell.ring()
            case .received(.work, let queues):
                if queues.contains(where: configuration.queues.contains) { doorbell.ring() }
            case .received(.cancel, let ids):
                for run in runs.running(Set(ids.compactMap(UUID.init(uuidString:)))) {
                    run.stop(.cancelledByClient, grace: configuration.cancelGrace)
                }
            case .received:
                break
            }
        }
    }
}
