import Foundation
import LongrunCore
import LongrunLocalPostgres
import LongrunTesting
import Subprocess
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `longrun api` as operators run it: flags and environment, Prometheus metrics, and
/// a graceful stop on SIGTERM.
@Suite(.timeLimit(.minutes(3))) struct APICommandTests {
    @Test func servesTheAPIAndPrometheusMetricsThenStopsOnSIGTERM() async throws {
        try await TestDatabase.with { database in
            let key = APIKey.generate()
            try await database.withStore { store in
                try await store.addAPIKey(key, tenantID: try await store.ensureTenant(named: "acme").id)
            }
            let port = try freeLoopbackPort()
            let result = try await Subprocess.run(
                .path(.init(try LongrunExecutable.path)),
                arguments: ["api", "--mount", "/noop=demo.noop"],
                environment: LongrunExecutable.environment([
                    "DATABASE_URL": database.url, "LONGRUN_PORT": "\(port)", "LONGRUN_LOG_LEVEL": "info",
                ]),
                input: .none,
                output: .discarded,
                error: .string(limit: 1 << 20)
            ) { execution in
                let base = "http://127.0.0.1:\(port)"
                #expect(await waitUntilServing(base + "/healthz"))
                var create = URLRequest(url: URL(string: base + "/noop")!)
                create.httpMethod = "POST"
                create.setValue("Bearer \(key.text)", forHTTPHeaderField: "Authorization")
                create.httpBody = Data("{}".utf8)
                let (_, created) = try await URLSession.shared.data(for: create)
                #expect((created as? HTTPURLResponse)?.statusCode == 202)

                let (body, response) = try await URLSession.shared.data(from: URL(string: base + "/metrics")!)
                #expect((response as? HTTPURLResponse)?.statusCode == 200)
                let metrics = String(decoding: body, as: UTF8.self)
                #expect(metrics.contains(#"longrun_operations_created_total{kind="demo.noop"} 1"#), "\(metrics)")
                #expect(metrics.contains("hb_requests"), "\(metrics)")
                #expect(metrics.contains("http_server_request_duration"), "\(metrics)")
                try execution.send(signal: .terminate)
            }
            #expect(result.terminationStatus == .exited(0), "\(result.standardError)")
        }
    }
}

/// Polls `url` until it answers 200, for at most 60 s.
func waitUntilServing(_ url: String) async -> Bool {
    for _ in 0..<600 {
        if let (_, response) = try? await URLSession.shared.data(from: URL(string: url)!),
            (response as? HTTPURLResponse)?.statusCode == 200
        {
            return true
        }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return false
}
