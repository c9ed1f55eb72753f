import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import LongrunCore
import LongrunPostgres
import LongrunTesting
import LongrunWorker
import ServiceLifecycle
import Synchronization

/// On an idle system, one operation at a time, the four latencies a client feels:
/// pickup (a client's create → the handler starts), cancel (a client's cancel → the
/// running handler's Task is cancelled), webhook (a worker's completion → the webhook
/// arrives at a receiver on loopback) and wait (a worker's completion → a waiting
/// `GET …/wait` is answered). Each clock starts when the statement is issued, so each
/// sample also holds that write; every part runs in this process on one clock.
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Pickup, cancel, webhook and wait latencies on an idle system (HdrHistogram percentiles)."
    )

    @OptionGroup var database: BenchmarkDatabase

    @Option(help: "Samples of each latency.")
    var samples = 1000

    /// The issue's goals for the p99 of each, in milliseconds.
    static let goals: [(name: String, p99: Double)] = [("pickup", 20), ("cancel", 50), ("webhook", 100), ("wait", 50)]

    func run() async throws {
        var quiet = Logger(label: "longrun.bench")
        quiet.logLevel = .warning
        let logger = quiet
        let measured = try await database.withURL(logger: logger) { url in
            let (pickup, cancel) = try await measure(url: url, logger: logger)
            let key = try await benchmarkKey(url: url, logger: logger)
            let tenantID = try await withPostgresStore(url: url, logger: logger) {
                try await $0.ensureTenant(named: "bench").id
            }
            let webhook = try await WebhookReceiver.run { receiver in
                try await WebhookBenchmark.latencies(
                    url: url, tenantID: tenantID, receiver: receiver, samples: samples, concurrency: 64,
                    logger: logger)
            }
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let wait = try await WaitBenchmark.latencies(
                    url: url, key: key, samples: samples, http: http, logger: logger
                ).waited
                try await http.shutdown()
                return [pickup, cancel, webhook, wait]
            } catch {
                try? await http.shutdown()
                throw error
            }
        }
        print("latency: \(samples) samples each, idle system, one at a time, clock from the issuing statement")
        var fields: [(String, String)] = [("scenario", "\"latency\""), ("samples", "\(samples)")]
        for ((name, goal), samples) in zip(Self.goals, measured) {
            let met = samples.milliseconds(at: 99) <= goal ? "met" : "missed"
            print(
                "  \(name.padding(toLength: 8, withPad: " ", startingAt: 0))\(samples.summary)   goal p99 ≤ \(Int(goal)) ms: \(met)"
            )
            fields += samples.jsonFields(name)
        }
        print(jsonObject(fields))
    }

    private func measure(url: String, logger: Logger) async throws -> (Samples, Samples) {
        // The schema first: a worker started on a database without it waits a poll
        // interval for it, and the first samples would measure that wait.
        let tenant = try await withPostgresStore(url: url, logger: logger) { store in
            try await store.migrate()
            return try await store.ensureTenant(named: "bench")
        }
        let (store, pool) = try PostgresStore.connecting(to: url, logger: logger)
        let signals = Signals()
        var registry = HandlerRegistry()
        registry.register(StartSignal(signals: signals))
        registry.register(CancelSignal(signals: signals))
        let worker = Worker(store: store, registry: registry, configuration: .init(concurrency: 4), logger: logger)
        let group = ServiceGroup(services: [pool, store.publisher, worker], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
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
