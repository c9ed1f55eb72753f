import Foundation
import LongrunCore
import LongrunPostgres
import LongrunTesting
import LongrunWorker
import Testing

/// The worker service in this process on a real PostgreSQL: claims, slots, cancellation,
/// deadlines, retries, lost leases and graceful shutdown.
@Suite(.timeLimit(.minutes(3))) struct WorkerTests {
    @Test func twoWorkersDrainTwoThousandOperationsRunningEachExactlyOnce() async throws {
        let probe = Probe()
        let configurations = [WorkerConfiguration.fast(concurrency: 8), .fast(concurrency: 8)]
        try await WorkerHarness.with(registry: .testKinds(probe), configurations: configurations) { harness, _ in
            var ids: Set<UUID> = []
            for _ in 0..<2000 { ids.insert(try await harness.create(Recorded.kind)) }
            let deadline = ContinuousClock.now + .seconds(120)
            while try await harness.database.count("SELECT count(*) FROM operations WHERE status = 'succeeded'") < 2000,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(100))
            }
            let recorded = probe.recorded
            #expect(recorded.started.count == 2000)
            #expect(Set(recorded.started) == ids)
            #expect(recorded.attempts.values.allSatisfy { $0 == [1] })
            #expect(try await harness.database.count("SELECT count(*) FROM operations WHERE attempt <> 1") == 0)
            // Both workers took part.
            #expect(
                try await harness.database.count(
                    "SELECT count(DISTINCT id) FROM workers WHERE last_heartbeat_at > now() - interval '1 minute'") == 2
            )
        }
    }

    @Test func operationsRunByPriorityThenAgeAndOnlyFromTheWorkersQueues() async throws {
        let probe = Probe()
        try await WorkerHarness.with(
            registry: .testKinds(probe), configurations: [.fast(queues: ["reports"], concurrency: 1)]
        ) { harness, group in
            // Created while the only slot is busy, so the order is the claim's, not creation's.
            let blocker = try await harness.create(Cancellable.kind, queue: "reports")
            try await probe.waitFor { $0.started == [blocker] }
            let low = try await harness.create(Recorded.kind, queue: "reports", priority: -5)
            let high = try await harness.create(Recorded.kind, queue: "reports", priority: 7)
            let middle = try await harness.create(Recorded.kind, queue: "reports")
            let middleLater = try await harness.create(Recorded.kind, queue: "reports")
            let elsewhere = try await harness.create(Recorded.kind, queue: "default", priority: 100)
            _ = try await harness.store.cancelOperation(id: blocker, tenantID: harness.tenant.id)
            _ = try await harness.waitUntilDone(low)
            #expect(probe.recorded.started == [blocker, high, middle, middleLater, low])
            #expect(try await harness.operation(elsewhere).status == .pending)
        }
    }

    @Test func aCancelReachesTheRunningHandlerAndWhateverItReturnsIsDiscarded() async throws {
        let probe = Probe()
        try await WorkerHarness.with(registry: .testKinds(probe)) { harness, _ in
            let id = try await harness.create(Cancellable.kind)
            try await probe.waitFor { $0.started.contains(id) }
            guard case .cancelled = try await harness.store.cancelOperation(id: id, tenantID: harness.tenant.id) else {
                Issue.record("not cancelled")
                return
            }
            // Through NOTIFY, well before the heartbeat would have found it.
            try await probe.waitFor(timeout: .seconds(5)) { $0.sawCancellation.contains(id) }
            try await Task.sleep(for: .milliseconds(300))
            let after = try await harness.operation(id)
            #expect(after.status == .cancelled && after.result == nil && after.error?.code == .cancelled)
        }
    }

    @Test func aHandlerThatIgnoresCancellationIsAbandonedAndItsSlotFreed() async throws {
        let probe = Probe()
        try await WorkerHarness.with(
            registry: .testKinds(probe), configurations: [.fast(concurrency: 1, cancelGrace: .milliseconds(300))]
        ) { harness, _ in
            let stubborn = try await harness.create(Stubborn.kind)
            try await probe.waitFor { $0.started.contains(stubborn) }
            let next = try await harness.create(Recorded.kind)
            _ = try await harness.store.cancelOperation(id: stubborn, tenantID: harness.tenant.id)
            // The stubborn handler sleeps 4 s; the slot comes back after the 300 ms grace.
            let done = try await harness.waitUntilDone(next, timeout: .seconds(3))
            #expect(done.status == .succeeded)
            #expect(probe.recorded.started == [stubborn, next])
            try await Task.sleep(for: .seconds(4))
            #expect(try await harness.operation(stubborn).status == .cancelled)
        }
    }

    @Test func theHeartbeatStopsAHandlerWhoseLeaseWasTakenWithoutANotification() async throws {
        let probe = Probe()
        try await WorkerHarness.with(registry: .testKinds(probe)) { harness, _ in
            let id = try await harness.create(Cancellable.kind)
            try await probe.waitFor { $0.started.contains(id) }
            // What a rescuer does to a lease it found expired, with no NOTIFY at all.
            _ = try await harness.database.rows(
                """
                UPDATE operations SET status = 'pending', run_at = now() + interval '1 hour',
                    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                WHERE id = \(id)
                """)
            try await probe.waitFor(timeout: .seconds(5)) { $0.sawCancellation.contains(id) }
            try await Task.sleep(for: .milliseconds(300))
            let after = try await harness.operation(id)
            #expect(after.status == .pending && after.result == nil)
        }
    }

    @Test func theDeadlineCancelsTheHandlerAndFailsTheOperation() async throws {
        let probe = Probe()
        try await WorkerHarness.with(registry: .testKinds(probe)) { harness, _ in
            // Long enough to start on a machine busy with the rest of the suite; the handler
            // then runs until cancelled.
            let id = try await harness.create(Cancellable.kind, deadline: Date(timeIntervalSinceNow: 8))
            try await probe.waitFor { $0.started.contains(id) }
            let done = try await harness.waitUntilDone(id)
            #expect(done.status == .failed && done.error?.code == .deadlineExceeded)
            #expect(probe.recorded.sawCancellation.contains(id))
            #expect(done.result == nil)
        }
    }

    @Test func retryableFailuresComeBackWithBackOffUntilTheySucceed() async throws {
        let probe = Probe()
        try await WorkerHarness.with(registry: .testKinds(probe)) { harness, _ in
            let input = JSONValue.object(["failures": .integer(2), "retryable": .bool(true)])
            let id = try await harness.create(Flaky.kind, input: input, maxAttempts: 3)
            let done = try await harness.waitUntilDone(id)
            #expect(done.status == .succeeded && done.attempt == 3)
            #expect(done.result == .object(["attempt": .integer(3)]))
            #expect(probe.recorded.attempts[id] == [1, 2, 3])
            let logs = try await harness.store.logs(operationID: id)
            #expect(logs.map(\.level) == [.warning, .warning])
            #expect(logs.first?.message.contains("flaky dependency (attempt 1)") == true)
        }
    }

    @Test func retryableFailuresFailTheOperationWhenAttemptsRunOut() async throws {
        let probe = Probe()
        try await WorkerHarness.with(registry: .testKinds(probe)) { harness, _ in
            let input = JSONValue.object(["failures": .integer(5), "retryable": .bool(true)])
            let id = try await harness.create(Flaky.kind, input: input, maxAttempts: 2)
            let done = try await harness.waitUntilDone(id)
            #expect(done.status == .failed && done.attempt == 2)
            #expect(done.error?.code == .handlerError && done.error?.message == "flaky dependency (attempt 2)")
            #expect(try await harness.store.logs(operationID: id).map(\.level) == [.warning, .error])
        }
    }

    @Test func otherFailuresFailAtOnceWithTheErrorsMessage() async throws {
        let probe = Probe()
        try await WorkerHarness.with(registry: .testKinds(probe)) { harness, _ in
            let input = JSONValue.object(["failures": .integer(1), "retryable": .bool(false)])
            let id = try await harness.create(Flaky.kind, input: input, maxAttempts: 3)
            let done = try await harness.waitUntilDone(id)
            #expect(done.status == .failed && done.attempt == 1)
            #expect(done.error?.message == "a failure not worth retrying")
            #expect(try await harness.store.logs(operationID: id).map(\.message) == ["a failure not worth retrying"])
        }
    }

    @Test func progressAndCheckpointsOfDemoSleepReachTheOperation() async throws {
        try await WorkerHarness.with(registry: .demoKinds) { harness, _ in
            let input = JSONValue.object(["seconds": .number(0.4), "steps": .integer(4)])
            let id = try await harness.create("demo.sleep", input: input)
            let running = try await harness.waitFor(id) { ($0.progress ?? 0) >= 25 && $0.status == .running }
            #expect(running.message?.hasPrefix("step ") == true)
            let done = try await harness.waitUntilDone(id)
            #expect(done.status == .succeeded && done.progress == 100 && done.message == "step 4/4")
            #expect(done.result == .object(["steps": .integer(4), "resumed_from": .integer(0)]))
            #expect(try await harness.store.logs(operationID: id).map(\.message) == (1...4).map { "step \($0)/4" })
        }
    }

    @Test func gracefulShutdownReleasesRunningOperationsToResumeFromTheirCheckpoint() async throws {
        let input = JSONValue.object(["seconds": .number(60), "steps": .integer(120)])
        let released = try await WorkerHarness.with(
            registry: .demoKinds, configurations: [.fast(shutdownGrace: .milliseconds(200))]
        ) { harness, group in
            let id = try await harness.create("demo.sleep", input: input)
            _ = try await harness.waitFor(id) { $0.checkpoint != nil }
            await group.triggerGracefulShutdown()
            let back = try await harness.waitFor(id, timeout: .seconds(10)) { $0.status == .pending }
            #expect(back.lease == nil && back.attempt == 0)
            #expect(try await harness.store.logs(operationID: id).last?.message.contains("released") == true)
            return (id, back)
        }
        let step = try #require(
            released.1.checkpoint.flatMap { value -> Int64? in
                guard case .object(let fields) = value, case .integer(let step)? = fields["step"] else { return nil }
                return step
            })
        #expect(step >= 1)
    }
}
