import ArgumentParser
import Foundation
import Logging
import LongrunCore
import LongrunLocalPostgres
import LongrunPostgres
import Subprocess
import SystemPackage

/// What PostgreSQL does with Longrun's own schema and statements when the worker costs
/// nothing: pgbench sends a worker's claim and end of runs (``StatementBaseline``) from
/// N connections over a pending backlog. The drain's ceiling on this machine, beside the
/// raw pgbench figure of ../shared/bench, whose table is a bare queue.
struct StatementsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statements",
        abstract: "A worker's claim + end of runs, sent by pgbench: Longrun's statements without Longrun."
    )

    @OptionGroup var database: BenchmarkDatabase

    @Option(help: "Operations per claim and per end of runs (a worker's free slots).")
    var batch = 100

    @Option(help: "pgbench connections to measure with, one run each, comma-separated.")
    var clients = "1,2,4"

    @Option(help: "Operations each run claims and ends; a quarter more wait pending, so no claim comes up short.")
    var operations = 100_000

    func run() async throws {
        var logger = Logger(label: "longrun.bench")
        logger.logLevel = .warning
        let counts = try positiveCounts(clients, option: "clients")
        guard batch > 0, counts.allSatisfy({ operations / batch / $0 > 0 }) else {
            throw ValidationError("each of --clients must be at most --operations / --batch")
        }
        guard let pgbench = LocalPostgres.pgbench else {
            throw ValidationError("pgbench is missing: install PostgreSQL's server package")
        }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("longrun-statements-\(UUID()).sql")
        try StatementBaseline.pgbenchScript.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let rates = try await database.withURL(logger: logger) { url in
            try await withPostgresStore(url: url, logger: logger) { store in
                try await store.migrate()
                let tenant = try await store.ensureTenant(named: "bench")
                var rates: [(clients: Int, rate: Double)] = []
                for count in counts {
                    try await BenchmarkFixtures.deleteAllOperations(store: store)
                    try await BenchmarkFixtures.prefill(
                        store: store, tenantID: tenant.id, kind: "demo.noop", count: operations + operations / 4)
                    let transactions = try await runPGBench(pgbench, script: script.path, url: url, clients: count)
                    rates.append((count, transactions * Double(batch)))
                }
                return rates
            }
        }
        print("statements: a worker's claim of \(batch) + end of \(batch), sent by pgbench, \(operations) per run")
        for (count, rate) in rates {
            print("  \(String(format: "%2d", count)) connection(s)   \(String(format: "%8.0f", rate)) operations/s")
        }
        for (count, rate) in rates {
            print(
                jsonObject([
                    ("scenario", "\"statements\""), ("batch", "\(batch)"), ("clients", "\(count)"),
                    ("operations_per_second", String(format: "%.1f", rate)),
                ]))
        }
    }

    /// pgbench's transactions per second (one transaction: a claim and its end of runs).
    /// A count of transactions rather than `--time`, so no run outlasts its backlog.
    /// swift-subprocess, as for PostgreSQL's other programs (`LocalPostgres`): a child of
    /// Foundation's `Process` inherits this process's blocked signals.
    private func runPGBench(_ pgbench: String, script: String, url: String, clients: Int) async throws -> Double {
        let result = try await Subprocess.run(
            .path(FilePath(pgbench)),
            arguments: [
                "--no-vacuum", "--protocol=prepared", "--client=\(clients)", "--jobs=\(min(clients, 2))",
                "--transactions=\(operations / batch / clients)", "--define=batch=\(batch)", "--file=\(script)", url,
            ],
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let text = result.standardOutput
        guard result.terminationStatus == .exited(0),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst("tps = ".count).prefix(while: { $0 != " " }))
        else {
            throw CleanExit.message("pgbench failed:\n\(text)\n\(result.standardError)")
        }
        return tps
    }
}
