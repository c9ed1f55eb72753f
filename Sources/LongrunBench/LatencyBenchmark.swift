import ArgumentParser
import Foundation
import Logging
import LongrunCore
import LongrunPostgres
import LongrunWorker
import ServiceLifecycle
import Synchronization

/// On an idle worker: how long from a client's create until the handler starts
/// (pickup), and from a client's cancel until the running handler's Task is cancelled
/// (cancel). The clock starts when the client issues its statement, so each sample also
/// holds the write itself; the worker runs in this process, so one clock times both ends.
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Pickup (create → handler start) and cancel (cancel → handler's Task cancelled) latencies."
    )

    @OptionGroup var database: BenchmarkDatabase

    @Option(help: "Samples of each latency.")
    var samples = 1000

    func run() async throws {
        var logger = Logger(label: "longrun.bench")
        logger.logLevel = .warning
        let (pickup, cancel) = try await database.withURL(logger: logger) { url in
            try await measure(url: url, logger: logger)
        }
        print("latency: \(samples) samples each, idle worker, clock from the client's statement")
        print("  pickup (create → handler start)            \(pickup.summary)")
        print("  cancel (cancel → handler's Task cancelled) \(cancel.summary)")
        print(
            jsonObject(
                [("scenario", "\"latency\""), ("samples", "\(samples)")] + pickup.jsonFields("pickup")
                    + cancel.jsonFields("cancel")))
    }

    private func measure(url: String, logger: Logger) async throws -> (Samples, Samples) {
        let (store, pool) = try PostgresStore.connecting(to: url, logger: logger)
        let signals = Signals()
        var registry = HandlerRegistry()
        registry.register(StartSignal(signals: signals))
        registry.register(CancelSignal(signals: signals))
        let worker = Worker(store: store, registry: registry, configuration: .init(concurrency: 4), logger: logger)
        let group = ServiceGroup(services: [pool, store.publisher, worker], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await store.migrate()
            let tenant = try await store.ensureTenant(named: "bench")
            // Let the worker subscribe before the first sample.
            try await Task.sleep(for: .seconds(1))
            var pickups: [Duration] = []
            for _ in 0..<samples {
                let id = OperationID.make()
                let issued = ContinuousClock.now
                _ = try await store.createOperation(
                    NewOperation(id: id, tenantID: tenant.id, kind: StartSignal.kind, input: .emptyObject))
                pickups.append(await signals.wait(for: id) - issued)
            }
            var cancels: [Duration] = []
            for _ in 0..<samples {
                let id = OperationID.make()
                _ = try await store.createOperation(
                    NewOperation(id: id, tenantID: tenant.id, kind: CancelSignal.kind, input: .emptyObject))
                _ = await signals.wait(for: id)
                let issued = ContinuousClock.now
                _ = try await store.cancelOperation(id: id, tenantID: tenant.id)
                cancels.append(await signals.wait(for: id) - issued)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return (Samples(pickups), Samples(cancels))
        }
    }
}

/// Moments handlers signal, by operation, for the benchmark to await.
final class Signals: Sendable {
    private struct State {
        var signalled: [UUID: [ContinuousClock.Instant]] = [:]
        var waiters: [UUID: CheckedContinuation<ContinuousClock.Instant, Never>] = [:]
    }

    private let state = Mutex(State())

    func signal(_ id: UUID) {
        let now = ContinuousClock.now
        let waiter = state.withLock { state -> CheckedContinuation<ContinuousClock.Instant, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            state.signalled[id, default: []].append(now)
            return nil
        }
        waiter?.resume(returning: now)
    }

    /// The next signal for `id`; one given before the wait counts.
    func wait(for id: UUID) async -> ContinuousClock.Instant {
        let instant = await withCheckedContinuation { continuation in
            let given = state.withLock { state -> ContinuousClock.Instant? in
                if var given = state.signalled[id], !given.isEmpty {
                    let first = given.removeFirst()
                    state.signalled[id] = given.isEmpty ? nil : given
                    return first
                }
                state.waiters[id] = continuation
                return nil
            }
            if let given { continuation.resume(returning: given) }
        }
        return instant
    }
}

/// Signals when it starts, and returns.
struct StartSignal: OperationHandler {
    static let kind = "bench.start"
    let signals: Signals

    func run(_ input: JSONValue, context: some OperationContext) async throws -> JSONValue {
        signals.signal(context.operationID)
        return .emptyObject
    }
}

/// Signals when it starts and again the moment its Task is cancelled.
struct CancelSignal: OperationHandler {
    static let kind = "bench.cancel"
    let signals: Signals

    func run(_ input: JSONValue, context: some OperationContext) async throws -> JSONValue {
        let id = context.operationID
        signals.signal(id)
        try await withTaskCancellationHandler {
            try await Task.sleep(for: .seconds(3600))
        } onCancel: {
            signals.signal(id)
        }
        return .emptyObject
    }
}
