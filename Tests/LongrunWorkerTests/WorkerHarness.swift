import Foundation
import Logging
import LongrunCore
import LongrunPostgres
import LongrunTesting
import LongrunWorker
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

/// Workers running in this process on a test database, in a ServiceGroup as `longrun
/// worker` runs them, for as long as a test's body runs.
struct WorkerHarness {
    let database: TestDatabase
    let store: PostgresStore
    let tenant: Tenant

    /// Runs `configurations.count` workers with `registry`; `body` gets the harness and
    /// the ServiceGroup (to shut the workers down mid-test). The workers are shut down
    /// gracefully when `body` returns.
    static func with<Result: Sendable>(
        registry: HandlerRegistry,
        configurations: [WorkerConfiguration] = [WorkerConfiguration.fast()],
        _ body: @Sendable (WorkerHarness, ServiceGroup) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                var logger = Logger(label: "longrun.test.worker")
                logger.logLevel = .warning
                let workers: [any Service] = configurations.map {
                    Worker(store: store, registry: registry, configuration: $0, logger: logger)
                }
                let group = ServiceGroup(services: [store.publisher] + workers, logger: logger)
                return try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    do {
                        let result = try await body(
                            WorkerHarness(database: database, store: store, tenant: tenant), group)
                        await group.triggerGracefulShutdown()
                        try await tasks.waitForAll()
                        return result
                    } catch let error as PSQLError {
                        tasks.cancelAll()
                        // Its description is a fixed sentence; the test report needs the details.
                        throw TestSupportError(String(reflecting: error))
                    } catch {
                        tasks.cancelAll()
                        throw error
                    }
                }
            }
        }
    }

    func create(
        _ kind: String, input: JSONValue = .emptyObject, queue: String = "default", priority: Int = 0,
        maxAttempts: Int = 3, deadline: Date? = nil
    ) async throws -> UUID {
        try await store.create(
            NewOperation(
                tenantID: tenant.id, kind: kind, input: input, queue: queue, priority: priority,
                maxAttempts: maxAttempts, deadline: deadline)
        ).id
    }

    func operation(_ id: UUID) async throws -> OperationRecord {
        try #require(try await store.operation(id: id, tenantID: tenant.id))
    }

    /// Polls until `condition` holds for the operation, or fails the test after `timeout`.
    @discardableResult
    func waitFor(
        _ id: UUID, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (OperationRecord) -> Bool
    ) async throws -> OperationRecord {
        let deadline = ContinuousClock.now + timeout
        while true {
            let operation = try await operation(id)
            if condition(operation) { return operation }
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out; the operation is \(operation.status)", sourceLocation: sourceLocation)
                return operation
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func waitUntilDone(_ id: UUID, timeout: Duration = .seconds(30)) async throws -> OperationRecord {
        try await waitFor(id, timeout: timeout) { $0.status.isTerminal }
    }
}

extension WorkerConfiguration {
    /// Short intervals, so tests of heartbeats and retries take moments. The lease is not
    /// short: no test here waits for one to expire (a rescuer's work is done by hand), and
    /// one that expired because a loaded machine starved the heartbeat would run an
    /// operation twice and fail a test for want of CPU.
    static func fast(
        queues: [String] = ["default"], concurrency: Int = 4, lease: Duration = .seconds(20),
        shutdownGrace: Duration = .seconds(5), cancelGrace: Duration = .seconds(2)
    ) -> WorkerConfiguration {
        WorkerConfiguration(
            queues: queues, concurrency: concurrency, lease: lease, heartbeat: .milliseconds(200),
            pollInterval: .milliseconds(200), shutdownGrace: shutdownGrace, cancelGrace: cancelGrace,
            progressInterval: .milliseconds(50), retry: RetryPolicy(base: .milliseconds(50), cap: .milliseconds(200))
        )
    }
}

/// What test handlers tell the test: which operations ran, in what order, and what they saw.
final class Probe: Sendable {
    struct Record: Sendable {
        var started: [UUID] = []
        var attempts: [UUID: [Int]] = [:]
        var sawCancellation: Set<UUID> = []
    }

    private let record = Mutex(Record())

    var recorded: Record { record.withLock { $0 } }

    func started(_ context: some OperationContext) {
        record.withLock { record in
            record.started.append(context.operationID)
            record.attempts[context.operationID, default: []].append(context.attempt)
        }
    }

    func sawCancellation(_ id: UUID) {
        _ = record.withLock { $0.sawCancellation.insert(id) }
    }

    /// Polls until `condition` holds, or fails the test after `timeout`.
    func waitFor(
        timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (Record) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(recorded) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for the probe", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Records that it ran and returns at once.
struct Recorded: OperationHandler {
    static let kind = "test.recorded"
    let probe: Probe

    func run(_ input: JSONValue, context: some OperationContext) async throws -> JSONValue {
        probe.started(context)
        return .emptyObject
    }
}

/// Runs until cancelled, notes that it saw the cancellation, then returns a result anyway.
struct Cancellable: OperationHandler {
    static let kind = "test.cancellable"
    let probe: Probe

    func run(_ input: JSONValue, context: some OperationContext) async throws -> JSONValue {
        probe.started(context)
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
        probe.sawCancellation(context.operationID)
        return .object(["finished": .bool(true)])
    }
}

/// Ignores cancellation: waits out `seconds` on a timer that cancellation does not stop.
struct Stubborn: OperationHandler {
    static let kind = "test.stubborn"
    let probe: Probe

    func run(_ input: JSONValue, context: some OperationContext) async throws -> JSONValue {
        probe.started(context)
        await withCheckedContinuation { continuation in
            DispatchQueue.global().asyncAfter(deadline: .now() + 4) { continuation.resume() }
        }
        return .object(["stubborn": .bool(true)])
    }
}

/// Fails its first `failures` attempts (retryably unless told otherwise), then succeeds.
struct Flaky: OperationHandler {
    static let kind = "test.flaky"
    struct Input: Codable, Sendable {
        var failures: Int
        var retryable: Bool
    }
    let probe: Probe

    func run(_ input: Input, context: some OperationContext) async throws -> JSONValue {
        probe.started(context)
        guard context.attempt > input.failures else {
            if input.retryable { throw RetryableError("flaky dependency (attempt \(context.attempt))") }
            throw FlakyFailure()
        }
        return .object(["attempt": .integer(Int64(context.attempt))])
    }
}

struct FlakyFailure: Error, CustomStringConvertible {
    var description: String { "a failure not worth retrying" }
}

extension HandlerRegistry {
    static func testKinds(_ probe: Probe) -> HandlerRegistry {
        var registry = HandlerRegistry.demoKinds
        registry.register(Recorded(probe: probe))
        registry.register(Cancellable(probe: probe))
        registry.register(Stubborn(probe: probe))
        registry.register(Flaky(probe: probe))
        return registry
    }
}
