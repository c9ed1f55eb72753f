import ArgumentParser
import Foundation
import Logging
import LongrunLocalPostgres

/// `longrun-bench`: figures, not pass/fail. Each scenario measures Longrun beside a
/// baseline taken in the same run on the same PostgreSQL, because on shared machines
/// only figures from one run compare.
@main
struct LongrunBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "longrun-bench",
        abstract: "Benchmarks of Longrun, each beside a baseline measured in the same run.",
        subcommands: [
            CreateBenchmark.self, DrainBenchmark.self, EndToEndBenchmark.self, LatencyBenchmark.self,
            ScaleBenchmark.self, StatementsBenchmark.self, WebhookBenchmark.self, WaitBenchmark.self,
        ]
    )
}

/// The PostgreSQL a benchmark runs on: `--database-url`, or a private durable server
/// (fsync on, as in production) in a temporary folder.
struct BenchmarkDatabase: ParsableArguments {
    @Option(
        name: .customLong("database-url"), help: "Run on this PostgreSQL instead of a private one (env: DATABASE_URL).")
    var databaseURL: String?

    func withURL<Result: Sendable>(logger: Logger, _ body: (String) async throws -> Result) async throws -> Result {
        if let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] {
            return try await body(url)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("longrun-bench-\(UUID().uuidString)")
        let server = try await LocalPostgres.start(.init(folder: folder), logger: logger)
        do {
            let result = try await body(server.url)
            try await server.stop()
            try? FileManager.default.removeItem(at: folder)
            return result
        } catch {
            try? await server.stop()
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }
}

/// How the benchmark's `longrun` processes hear of changes, so that a run can show what
/// notifications cost and what they buy.
struct BenchmarkNotifications: ParsableArguments {
    @Option(help: "listen (LISTEN/NOTIFY, the default) or poll (neither, every process re-reads on a timer).")
    var notifications = "listen"

    @Option(help: "How often a polling process re-reads.")
    var notificationPollInterval = "100ms"

    func validate() throws {
        guard ["listen", "poll"].contains(notifications) else {
            throw ValidationError("--notifications must be listen or poll")
        }
    }

    /// The settings for every `longrun` process the benchmark starts.
    var environment: [String: String] {
        ["LONGRUN_NOTIFICATIONS": notifications, "LONGRUN_NOTIFICATION_POLL_INTERVAL": notificationPollInterval]
    }
}

/// The counts of a comma-separated option (`--processes 1,2`), each a positive number.
func positiveCounts(_ text: String, option: String) throws -> [Int] {
    let counts = text.split(separator: ",").map { Int($0) }
    guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else {
        throw ValidationError("--\(option) needs positive counts, comma-separated, e.g. 1,2")
    }
    return counts.compactMap { $0 }
}
