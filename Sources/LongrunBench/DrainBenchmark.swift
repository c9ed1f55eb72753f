import ArgumentParser
import Foundation
import Logging
import LongrunCore
import LongrunPostgres

/// N pre-queued `demo.noop` operations drained by real `longrun worker` processes: the
/// rate from the first claim to the last completion, by the database's clock.
struct DrainBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Pre-queued demo.noop operations drained by W `longrun worker` processes."
    )

    @OptionGroup var database: BenchmarkDatabase
    @OptionGroup var notifications: BenchmarkNotifications

    @Option(help: "Operations queued before the workers start.")
    var operations = 20_000

    @Option(help: "Worker process counts to measure, one drain each, comma-separated.")
    var processes = "1,2"

    @Option(help: "Slots per worker process.")
    var concurrency = 100

    func run() async throws {
        var logger = Logger(label: "longrun.bench")
        logger.logLevel = .warning
        let counts = try positiveCounts(processes, option: "processes")
        let drains = try await database.withURL(logger: logger) { url in
            try await withPostgresStore(url: url, logger: logger) { store in
                try await store.migrate()
                let tenant = try await store.ensureTenant(named: "bench")
                var drains: [(processes: Int, seconds: Double)] = []
                for count in counts {
                    drains.append(
                        (count, try await drain(url: url, store: store, tenantID: tenant.id, processes: count)))
                }
                return drains
            }
        }
        print(
            "drain: \(operations) demo.noop operations, \(concurrency) slots per worker process, "
                + "notifications: \(notifications.notifications)")
        for drain in drains {
            let rate = Double(operations) / drain.seconds
            print("  \(drain.processes) worker process(es)   \(String(format: "%8.0f", rate)) operations/s")
        }
        for drain in drains {
            print(
                jsonObject([
                    ("scenario", "\"drain\""), ("operations", "\(operations)"), ("processes", "\(drain.processes)"),
                    ("concurrency", "\(concurrency)"), ("notifications", "\"\(notifications.notifications)\""),
                    ("seconds", String(format: "%.3f", drain.seconds)),
                    ("operations_per_second", String(format: "%.1f", Double(operations) / drain.seconds)),
                ]))
        }
    }

    /// One drain: prefill, start the workers, wait for the last success, stop them.
    private func drain(url: String, store: PostgresStore, tenantID: Int64, processes: Int) async throws -> Double {
        try await BenchmarkFixtures.deleteAllOperations(store: store)
        try await BenchmarkFixtures.prefill(store: store, tenantID: tenantID, kind: "demo.noop", count: operations)
        let workers = try (0..<processes).map { _ in try startWorker(url: url) }
        defer {
            for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) }
        }
        let deadline = ContinuousClock.now + .seconds(600)
        while try await BenchmarkFixtures.hasUnfinished(store: store) {
            guard ContinuousClock.now < deadline, workers.allSatisfy(\.isRunning) else {
                throw CleanExit.message("the drain did not finish; a worker stopped or time ran out")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        for worker in workers { worker.terminate() }
        for worker in workers { worker.waitUntilExit() }
        let succeeded = try await BenchmarkFixtures.succeeded(store: store)
        guard succeeded == operations else {
            throw CleanExit.message("only \(succeeded) of \(operations) operations succeeded")
        }
        return try await BenchmarkFixtures.drainSpan(store: store).inSeconds
    }

    private func startWorker(url: String) throws -> Process {
        try startLongrun(
            ["worker", "--concurrency", "\(concurrency)", "--poll-interval", "1s"], databaseURL: url,
            environment: notifications.environment)
    }
}

/// Starts the sibling `longrun` with `arguments` on `databaseURL`, quiet but for warnings.
func startLongrun(
    _ arguments: [String], databaseURL: String, environment settings: [String: String] = [:]
) throws -> Process {
    let process = Process()
    process.executableURL = try siblingExecutable("longrun")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["DATABASE_URL"] = databaseURL
    environment["LONGRUN_LOG_LEVEL"] = "warning"
    environment.merge(settings) { _, setting in setting }
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    return process
}

/// A binary built beside this one (`swift build -c release` builds them together).
func siblingExecutable(_ name: String) throws -> URL {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let candidate = folder.appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
        throw ValidationError("\(candidate.path) is missing: build it first (swift build -c release --product \(name))")
    }
    return candidate
}
