import Foundation
import LongrunLocalPostgres
import LongrunTesting
import Subprocess
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `--metrics-port` of `longrun worker` and `longrun notifier`: the probes and the scrape
/// target orchestrators need from processes that serve no API.
@Suite(.timeLimit(.minutes(3))) struct StatusServerTests {
    @Test(arguments: [
        ("worker", "longrun_worker_busy_slots"), ("notifier", "longrun_notifier_deliveries_total"),
    ])
    func aProcessWithoutAnAPIServesHealthReadinessAndMetrics(command: String, metric: String) async throws {
        try await TestDatabase.with { database in
            let port = try freeLoopbackPort()
            let result = try await Subprocess.run(
                .path(.init(try LongrunExecutable.path)),
                arguments: .init([command, "--metrics-port", "\(port)"]),
                environment: LongrunExecutable.environment(["DATABASE_URL": database.url]),
                input: .none, output: .discarded, error: .string(limit: 1 << 20)
            ) { execution in
                let base = "http://127.0.0.1:\(port)"
                #expect(await waitUntilServing(base + "/healthz"))
                let (_, ready) = try await URLSession.shared.data(from: URL(string: base + "/readyz")!)
                #expect((ready as? HTTPURLResponse)?.statusCode == 200)
                let (body, scraped) = try await URLSession.shared.data(from: URL(string: base + "/metrics")!)
                #expect((scraped as? HTTPURLResponse)?.statusCode == 200)
                let metrics = String(decoding: body, as: UTF8.self)
                #expect(metrics.contains(metric), "\(metrics)")
                // The API's routes are not there.
                let (_, operations) = try await URLSession.shared.data(from: URL(string: base + "/v1/operations")!)
                #expect((operations as? HTTPURLResponse)?.statusCode == 404)
                try execution.send(signal: .terminate)
            }
            #expect(result.terminationStatus == .exited(0), "\(result.standardError)")
        }
    }

    @Test func withoutTheFlagAWorkerListensOnNoPort() async throws {
        try await TestDatabase.with { database in
            let process = try LongrunProcess.start(
                ["worker", "--database-url", database.url], environment: ["LONGRUN_LOG_LEVEL": "info"])
            defer { process.stop() }
            #expect(try await process.waitForLog(containing: "worker started"), "\(process.log)")
            #expect(!process.log.contains("listening on"), "\(process.log)")
        }
    }
}
