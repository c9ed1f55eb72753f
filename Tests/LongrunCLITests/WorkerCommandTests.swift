import Foundation
import LongrunClient
import LongrunCore
import LongrunLocalPostgres
import LongrunPostgres
import LongrunTesting
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `longrun worker` and `longrun all` as real processes: killed mid-operation, stopped
/// with SIGTERM, and dying while leading the cluster's maintenance.
@Suite(.timeLimit(.minutes(3))) struct WorkerCommandTests {
    let fastWorker = ["--lease", "1500ms", "--heartbeat", "300ms", "--poll-interval", "200ms"]

    func sleepInput(seconds: Double, steps: Int) -> JSONValue {
        .object(["seconds": .number(seconds), "steps": .integer(Int64(steps))])
    }

    func step(of checkpoint: JSONValue?) -> Int64 {
        guard case .object(let fields)? = checkpoint, case .integer(let step)? = fields["step"] else { return 0 }
        return step
    }

    /// Polls the operation until `condition` holds; the last read when time runs out.
    func waitFor(
        _ id: UUID, in store: PostgresStore, tenant: Tenant, timeout: Duration = .seconds(30),
        _ condition: (OperationRecord) -> Bool
    ) async throws -> OperationRecord {
        let deadline = ContinuousClock.now + timeout
        while true {
            let operation = try #require(try await store.operation(id: id, tenantID: tenant.id))
            if condition(operation) || ContinuousClock.now > deadline { return operation }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func aKilledWorkersOperationIsFinishedByAnotherFromItsLastCheckpoint() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let arguments = ["worker", "--database-url", database.url] + fastWorker
                let first = try LongrunProcess.start(arguments)
                defer { first.stop() }
                let id = try await store.create(
                    NewOperation(tenantID: tenant.id, kind: "demo.sleep", input: sleepInput(seconds: 4, steps: 8))
                ).id
                let progressed = try await waitFor(id, in: store, tenant: tenant) { step(of: $0.checkpoint) >= 2 }
                #expect(step(of: progressed.checkpoint) >= 2, "\(first.log)")
                first.send(SIGKILL)
                _ = try await first.waitForExit()

                let second = try LongrunProcess.start(arguments)
                defer { second.stop() }
                let done = try await waitFor(id, in: store, tenant: tenant) { $0.status.isTerminal }
                #expect(done.status == .succeeded && done.attempt == 2, "\(second.log)")
                guard case .object(let result)? = done.result, case .integer(let resumedFrom)? = result["resumed_from"]
                else {
                    Issue.record("no result: \(String(describing: done.result))")
                    return
                }
                #expect(resumedFrom >= step(of: progressed.checkpoint))
                let logs = try await store.logs(operationID: id).map(\.message)
                #expect(logs.contains { $0.contains("lease expired") })
            }
        }
    }

    @Test func sigtermReleasesRunningOperationsAfterTheGraceAndExitsCleanly() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let worker = try LongrunProcess.start(
                    ["worker", "--database-url", database.url, "--shutdown-grace", "300ms"] + fastWorker)
                defer { worker.stop() }
                let id = try await store.create(
                    NewOperation(tenantID: tenant.id, kind: "demo.sleep", input: sleepInput(seconds: 60, steps: 120))
                ).id
                _ = try await waitFor(id, in: store, tenant: tenant) { $0.checkpoint != nil }
                worker.send(SIGTERM)
                let exit = try await worker.waitForExit(timeout: .seconds(20))
                #expect(exit?.reason == .exit && exit?.status == 0, "\(worker.log)")
                let released = try #require(try await store.operation(id: id, tenantID: tenant.id))
                #expect(released.status == .pending && released.lease == nil && released.attempt == 0)
                #expect(step(of: released.checkpoint) >= 1)
            }
        }
    }

    @Test func whenTheMaintenanceLeaderDiesAnotherWorkerTakesOver() async throws {
        try await TestDatabase.with { database in
            let arguments = ["worker", "--database-url", database.url, "--maintenance-interval", "200ms"] + fastWorker
            let leaderLine = "this process is the maintenance leader"
            let first = try LongrunProcess.start(arguments, environment: ["LONGRUN_LOG_LEVEL": "info"])
            defer { first.stop() }
            #expect(try await first.waitForLog(containing: leaderLine), "\(first.log)")
            let second = try LongrunProcess.start(arguments, environment: ["LONGRUN_LOG_LEVEL": "info"])
            defer { second.stop() }
            #expect(try await second.waitForLog(containing: "worker started"), "\(second.log)")
            // Several election rounds pass with the first still alive: it keeps the lead.
            try await Task.sleep(for: .seconds(1))
            #expect(!second.log.contains(leaderLine))

            first.send(SIGKILL)
            #expect(try await second.waitForLog(containing: leaderLine, timeout: .seconds(20)), "\(second.log)")
        }
    }

    /// A webhook receiver, and a test database with an API key of the tenant `acme`.
    func withReceiverAndKey(
        _ body: @Sendable (WebhookReceiver, TestDatabase, APIKey) async throws -> Void
    ) async throws {
        try await WebhookReceiver.run { receiver in
            try await TestDatabase.with { database in
                let key = APIKey.generate()
                try await database.withStore { store in
                    try await store.addAPIKey(key, tenantID: try await store.ensureTenant(named: "acme").id)
                }
                try await body(receiver, database, key)
            }
        }
    }

    /// With `--notifications poll` no process LISTENs or NOTIFYs, and every path still
    /// works: the worker claims on its timer, a long poll answers once the operation is
    /// done, the webhook goes out, and a cancel reaches its handler through the heartbeat.
    @Test func withNotificationsPolledEveryPathWorksAndNoNotifyIsSent() async throws {
        try await withReceiverAndKey { receiver, database, key in
            let heard = try await listening(to: database) {
                let port = try freeLoopbackPort()
                let all = try LongrunProcess.start(
                    [
                        "all", "--database-url", database.url, "--port", "\(port)", "--allow-private-callbacks",
                        "--notifications", "poll", "--notification-poll-interval", "200ms",
                    ] + fastWorker)
                defer { all.stop() }
                let base = "http://127.0.0.1:\(port)"
                #expect(await waitUntilServing(base + "/readyz"), "\(all.log)")
                let client = LongrunClient(baseURL: base, apiKey: key.text)

                let noop = try await client.submit(
                    SubmitRequest(kind: "demo.noop", callbackURL: receiver.url("/done")))
                #expect(try await client.wait(noop.id).status == .succeeded)
                #expect(try await receiver.waitFor { !$0.isEmpty }.count == 1)

                let sleeper = try await client.submit(
                    SubmitRequest(kind: "demo.sleep", input: sleepInput(seconds: 60, steps: 60)))
                for _ in 0..<200 where try await client.get(sleeper.id).status != .running {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try await client.cancel(sleeper.id).status == .cancelled)
                // The handler was stopped: with no NOTIFY, the heartbeat finds the lease
                // gone (a cancel ends it) and counts the run as lease_lost.
                let counted = #"longrun_worker_operations_total{kind="demo.sleep",event="lease_lost"} 1"#
                var metrics = ""
                for _ in 0..<100 where !metrics.contains(counted) {
                    try await Task.sleep(for: .milliseconds(100))
                    let (body, _) = try await URLSession.shared.data(from: URL(string: base + "/metrics")!)
                    metrics = String(decoding: body, as: UTF8.self)
                }
                #expect(metrics.contains(counted), "\(metrics)")
                all.send(SIGTERM)
                #expect(try await all.waitForExit()?.status == 0, "\(all.log)")
            }
            #expect(heard.isEmpty, "\(heard)")
        }
    }

    /// Runs `body` while a LISTEN of the test's own is subscribed to every channel; what
    /// it heard meanwhile.
    func listening(
        to database: TestDatabase, _ body: @Sendable () async throws -> Void
    ) async throws -> [StoreNotification] {
        let ear = Ear()
        try await database.withStore { listener in
            try await listener.withNotifications(on: Set(NotificationChannel.allCases)) { notifications in
                let recorder = Task { await ear.record(notifications) }
                defer { recorder.cancel() }
                while !ear.subscribed.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(20)) }
                try await body()
                // Anything sent by the end of `body` has arrived by now.
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        return ear.heard.withLock { $0 }
    }

    @Test func allRunsTheAPIAWorkerAndANotifierInOneProcess() async throws {
        try await withReceiverAndKey { receiver, database, key in
            let port = try freeLoopbackPort()
            let all = try LongrunProcess.start(
                ["all", "--database-url", database.url, "--port", "\(port)", "--allow-private-callbacks"]
                    + fastWorker)
            defer { all.stop() }
            let base = "http://127.0.0.1:\(port)"
            #expect(await waitUntilServing(base + "/readyz"), "\(all.log)")
            var create = URLRequest(url: URL(string: base + "/v1/operations")!)
            create.httpMethod = "POST"
            create.setValue("Bearer \(key.text)", forHTTPHeaderField: "Authorization")
            create.setValue("application/json", forHTTPHeaderField: "Content-Type")
            create.httpBody = Data(
                #"{"kind":"demo.noop","input":{},"callback_url":"\#(receiver.url("/done"))"}"#.utf8)
            let (body, _) = try await URLSession.shared.data(for: create)
            let id = try #require(
                (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["id"] as? String)
            // The webhook is the sign that the worker finished it and the notifier sent it.
            let webhook = try await receiver.waitFor { !$0.isEmpty }[0]
            let sent = try JSONSerialization.jsonObject(with: Data(webhook.body)) as? [String: Any]
            #expect(sent?["id"] as? String == id && sent?["status"] as? String == "succeeded")
            try await Task.sleep(for: .milliseconds(300))
            let (metrics, _) = try await URLSession.shared.data(from: URL(string: base + "/metrics")!)
            let text = String(decoding: metrics, as: UTF8.self)
            #expect(text.contains(#"longrun_worker_operations_total{kind="demo.noop",event="succeeded"} 1"#))
            #expect(text.contains(#"longrun_notifier_deliveries_total{format="standard",outcome="delivered"} 1"#))
            all.send(SIGTERM)
            #expect(try await all.waitForExit()?.status == 0, "\(all.log)")
        }
    }
}

/// What a test's LISTEN heard.
final class Ear: Sendable {
    let subscribed = Atomic(false)
    let heard = Mutex<[StoreNotification]>([])

    func record(_ notifications: AsyncStream<StoreNotification>) async {
        for await notification in notifications {
            if notification == .subscribed {
                subscribed.store(true, ordering: .relaxed)
            } else {
                heard.withLock { $0.append(notification) }
            }
        }
    }
}
