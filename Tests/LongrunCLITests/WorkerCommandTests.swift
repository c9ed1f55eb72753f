import Foundation
import LongrunCore
import LongrunLocalPostgres
import LongrunPostgres
import LongrunTesting
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

    @Test func allRunsTheAPIAWorkerAndANotifierInOneProcess() async throws {
        try await WebhookReceiver.run { receiver in
            try await TestDatabase.with { database in
                let key = APIKey.generate()
                try await database.withStore { store in
                    try await store.addAPIKey(key, tenantID: try await store.ensureTenant(named: "acme").id)
                }
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
}
