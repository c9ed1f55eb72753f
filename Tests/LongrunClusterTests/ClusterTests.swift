import AsyncHTTPClient
import Foundation
import LongrunClient
import LongrunCore
import LongrunTesting
import Subprocess
import Testing

/// The whole fleet as real processes (`scripts/cluster`): two API nodes behind nginx,
/// three workers, a notifier, one PostgreSQL. One cluster at a time: each is seven
/// processes and a database on a two-core machine.
@Suite(.serialized, .timeLimit(.minutes(8))) struct ClusterTests {
    @Test func aShortChaosRunKeepsEveryInvariant() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("longrun-chaos-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await TestSlots.with(weight: ProcessCluster.clusterWeight) {
            try await Subprocess.run(
                .path("/usr/bin/env"),
                arguments: ["python3", ProcessCluster.chaosScript, "--operations", "100", "--rate", "10"],
                environment: LongrunExecutable.environment([
                    "LONGRUN_BIN": try LongrunExecutable.path, "LONGRUN_CLUSTER_DIR": folder.path,
                    "LONGRUN_CLUSTER_PORT": "\(try ProcessCluster.freeBasePort())",
                ]),
                output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        }
        #expect(result.terminationStatus == .exited(0), "\(result.standardOutput)\n\(result.standardError)")
        let summary = try JSONDecoder().decode(JSONValue.self, from: Data(result.standardOutput.utf8))
        guard case .object(let fields) = summary, case .object(let faults)? = fields["faults"] else {
            Issue.record("no summary: \(result.standardOutput)")
            return
        }
        // The faults happened: the run proves nothing otherwise.
        #expect(faults["worker_kills"] != .integer(0) && faults["postgres_restarts"] == .integer(1), "\(faults)")
    }

    @Test func fiveHundredOperationsRunAcrossTheClusterWithSignedWebhooksACancelAndANodeKilled() async throws {
        try await WebhookReceiver.run { receiver in
            try await ProcessCluster.run { cluster in
                let nodes = cluster.apiURLs.map { LongrunClient(baseURL: $0, apiKey: cluster.apiKey) }
                #expect(nodes.count == 2)

                // A long operation, to cancel while it runs.
                let sleeper = try await nodes[0].submit(
                    SubmitRequest(
                        kind: "demo.sleep", input: .object(["seconds": .number(600), "steps": .integer(600)])))
                try await eventually("the sleeper runs") { try await nodes[1].get(sleeper.id).status == .running }

                // Round-robin over both nodes, 25 requests in flight at a time.
                var created = Set<UUID>()
                for chunk in stride(from: 0, to: 500, by: 25) {
                    created.formUnion(
                        try await withThrowingTaskGroup(of: UUID.self) { group in
                            for index in chunk..<chunk + 25 {
                                group.addTask {
                                    try await nodes[index % 2].submit(
                                        SubmitRequest(kind: "demo.noop", callbackURL: receiver.url("/hook"))
                                    ).id
                                }
                            }
                            return try await group.reduce(into: Set<UUID>()) { $0.insert($1) }
                        })
                }
                #expect(created.count == 500)

                // Every operation succeeds and its webhook arrives, signed with the tenant's secret.
                try await eventually("all 500 succeed", timeout: .seconds(120)) {
                    try await succeededCount(nodes[1]) == 500
                }
                let secret = try #require(WebhookSecret(cluster.webhookSecret))
                let hooks = try await receiver.waitFor(timeout: .seconds(120)) { requests in
                    Set(requests.compactMap(operationID)).isSuperset(of: created)
                }
                for hook in hooks {
                    let id = try #require(hook.headers["webhook-id"])
                    let timestamp = try #require(hook.headers["webhook-timestamp"].flatMap { Int64($0) })
                    let expected = WebhookSignature.sign(id: id, timestamp: timestamp, body: hook.body, secret: secret)
                    let signatures = (hook.headers["webhook-signature"] ?? "").split(separator: " ").map(String.init)
                    #expect(signatures.contains(expected), "unsigned or wrongly signed webhook \(id)")
                }

                // The cancel reaches the running handler and frees its slot.
                _ = try await nodes[1].cancel(sleeper.id)
                let ended = try await nodes[0].wait(sleeper.id)
                #expect(ended.status == .cancelled)
                try await eventually("every worker slot is free") { try await busySlots(cluster) == 0 }

                // One API node dies; the balancer keeps serving from the other.
                kill(try cluster.pid("api1"), SIGKILL)
                let throughBalancer = LongrunClient(baseURL: cluster.url, apiKey: cluster.apiKey)
                for _ in 0..<20 {
                    #expect(try await throughBalancer.get(sleeper.id).status == .cancelled)
                }
                let late = try await throughBalancer.submit(SubmitRequest(kind: "demo.noop"))
                #expect(try await throughBalancer.wait(late.id).status == .succeeded)
            }
        }
    }

    @Test func everyProcessCarriesOnAfterTheDatabaseRestarts() async throws {
        // Short leases, so operations cut short by the restart are rescued within the test.
        try await ProcessCluster.run(environment: ["LONGRUN_LEASE": "4s", "LONGRUN_HEARTBEAT": "1s"]) { cluster in
            let client = LongrunClient(baseURL: cluster.url, apiKey: cluster.apiKey)
            // Attempts to spare: on a busy machine a restart may cost an operation its
            // lease more than once, and each rescue spends an attempt.
            var ids: [UUID] = []
            for _ in 0..<20 {
                ids.append(
                    try await client.submit(
                        SubmitRequest(
                            kind: "demo.sleep", input: .object(["seconds": .number(2), "steps": .integer(4)]),
                            maxAttempts: 10)
                    )
                    .id)
            }
            try await cluster.restartPostgres()
            // The client retries what the restart cut short (its create is idempotent).
            for _ in 0..<20 {
                ids.append(try await client.submit(SubmitRequest(kind: "demo.noop", maxAttempts: 10)).id)
            }
            for id in ids {
                let ended = try await client.wait(id)
                #expect(
                    ended.status == .succeeded,
                    "\(ended.status) after \(ended.attempt) attempts: \(String(describing: ended.error))")
            }
            // The maintenance leader's connection died with the restart; it leads again
            // or hands over, and every process still stops on SIGTERM (checked by `down`).
        }
    }

    private func operationID(_ request: WebhookReceiver.Request) -> UUID? {
        guard let object = try? JSONDecoder().decode(JSONValue.self, from: Data(request.body)),
            case .object(let fields) = object, case .string(let id)? = fields["id"]
        else { return nil }
        return UUID(uuidString: id)
    }

    private func succeededCount(_ node: LongrunClient) async throws -> Int {
        var count = 0
        for try await _ in node.list(status: .succeeded, kind: "demo.noop") { count += 1 }
        return count
    }

    /// Slots in use across the cluster's workers, from their `/metrics`.
    private func busySlots(_ cluster: ProcessCluster) async throws -> Int {
        var busy = 0.0
        for worker in 1...3 {
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: cluster.statusURL(worker) + "/metrics"), timeout: .seconds(5))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            for line in text.split(separator: "\n") where line.hasPrefix("longrun_worker_busy_slots ") {
                busy += Double(line.split(separator: " ").last ?? "") ?? 0
            }
        }
        return Int(busy)
    }

    private func eventually(
        _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(try await condition()) {
            guard ContinuousClock.now < deadline else { throw TestSupportError("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
