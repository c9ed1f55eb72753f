import Foundation
import LongrunTesting
import Subprocess
import Testing

/// Each `longrun-bench` scenario once, at a size that takes seconds: it must finish, and
/// print its JSON object. The figures come from full runs (docs/benchmarks.md), never
/// from here.
@Suite(.timeLimit(.minutes(5))) struct BenchmarkSmokeTests {
    @Test(arguments: [
        ["create", "--clients", "2", "--seconds", "1"],
        ["drain", "--operations", "200", "--processes", "1", "--concurrency", "10"],
        ["e2e", "--operations", "100", "--clients", "4", "--workers", "1", "--concurrency", "10", "--seconds", "1"],
        [
            "e2e", "--operations", "100", "--clients", "4", "--workers", "1", "--concurrency", "10", "--seconds", "1",
            "--notifications", "poll",
        ],
        ["latency", "--samples", "20"],
        ["scale", "--pending", "1000,2000", "--finished", "5000", "--batch", "50", "--rounds", "5"],
        ["statements", "--batch", "10", "--clients", "1,2", "--operations", "400"],
        ["webhooks", "--samples", "20", "--deliveries", "200", "--concurrency", "8"],
        ["wait", "--samples", "20", "--streams", "20"],
    ])
    func aScenarioRunsToTheEndAndPrintsItsFigures(arguments: [String]) async throws {
        // A scenario runs an API node or workers of its own beside the database.
        try await TestSlots.with(weight: 2) {
            try await TestDatabase.with(migrated: false) { database in
                let result = try await Subprocess.run(
                    .path(.init(try LongrunExecutable.sibling("longrun-bench"))),
                    arguments: .init(arguments + ["--database-url", database.url]),
                    environment: LongrunExecutable.environment(),
                    output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
                #expect(result.terminationStatus == .exited(0), "\(result.standardError)")
                #expect(
                    result.standardOutput.contains(#""scenario": "\#(arguments[0])""#),
                    "\(result.standardOutput)\n\(result.standardError)")
                if arguments[0] == "latency" {
                    for name in ["pickup", "cancel", "webhook", "wait"] {
                        #expect(result.standardOutput.contains(#""\#(name)_p99_ms""#), "\(result.standardOutput)")
                    }
                }
            }
        }
    }
}
