import Foundation
import LongrunLocalPostgres
import LongrunTesting
import Subprocess

/// `scripts/cluster` run by a test: its own folder and ports, this build's `longrun`,
/// taken down (and checked gone) when the test ends.
struct ProcessCluster: Sendable {
    let folder: URL
    /// The balancer.
    let url: String
    /// The API nodes, bypassing the balancer.
    let apiURLs: [String]
    let apiKey: String
    let webhookSecret: String
    let basePort: Int
    let environment: [String: String]

    static let scripts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts")
    static let script = scripts.appendingPathComponent("cluster").path
    static let chaosScript = scripts.appendingPathComponent("chaos").path

    static func run<Result: Sendable>(
        environment extra: [String: String] = [:], _ body: @Sendable (ProcessCluster) async throws -> Result
    ) async throws -> Result {
        try await TestSlots.with(weight: clusterWeight) { try await start(environment: extra, body) }
    }

    /// The ``TestSlots`` a whole cluster of processes holds: a database, two API nodes,
    /// three workers, a notifier and a balancer weigh as much as several tests.
    static let clusterWeight = 4

    private static func start<Result: Sendable>(
        environment extra: [String: String], _ body: @Sendable (ProcessCluster) async throws -> Result
    ) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("longrun-cluster-\(UUID())")
        let basePort = try freeBasePort()
        var environment = [
            "LONGRUN_BIN": try LongrunExecutable.path,
            "LONGRUN_CLUSTER_DIR": folder.path,
            "LONGRUN_CLUSTER_PORT": "\(basePort)",
        ]
        environment.merge(extra) { _, new in new }
        let started = try await command(["up"], environment: environment)
        guard started.succeeded else {
            _ = try? await command(["down"], environment: environment)
            throw TestSupportError("scripts/cluster up failed:\n\(started.output)\n\(logs(folder))")
        }
        let settings = try String(contentsOf: folder.appendingPathComponent("cluster.env"), encoding: .utf8)
            .split(separator: "\n").reduce(into: [String: String]()) { settings, line in
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { settings[parts[0]] = parts[1] }
            }
        let cluster = ProcessCluster(
            folder: folder, url: settings["LONGRUN_URL"] ?? "",
            apiURLs: (settings["LONGRUN_API_URLS"] ?? "").split(separator: ",").map(String.init),
            apiKey: settings["LONGRUN_API_KEY"] ?? "", webhookSecret: settings["LONGRUN_WEBHOOK_SECRET"] ?? "",
            basePort: basePort, environment: environment)
        do {
            let result = try await body(cluster)
            try await cluster.down()
            return result
        } catch {
            let logs = Self.logs(folder)
            try? await cluster.down()
            throw TestSupportError("\(error)\n--- cluster logs ---\n\(logs)")
        }
    }

    /// `pg_ctl restart -m immediate`: every connection of every process drops at once.
    func restartPostgres() async throws {
        let restarted = try await Self.command(["restart-postgres"], environment: environment)
        guard restarted.succeeded else { throw TestSupportError("restart-postgres failed:\n\(restarted.output)") }
    }

    /// The pid of a process of the cluster, as the script recorded it.
    func pid(_ name: String) throws -> pid_t {
        let text = try String(contentsOf: folder.appendingPathComponent("run/\(name).pid"), encoding: .utf8)
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestSupportError("no pid recorded for \(name)")
        }
        return pid
    }

    /// Every pid the cluster recorded while it ran (PostgreSQL's postmaster included).
    func pids() throws -> [String: pid_t] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("run").path)
        return try names.filter { $0.hasSuffix(".pid") }.reduce(into: [:]) { pids, file in
            let name = String(file.dropLast(4))
            pids[name] = try pid(name)
        }
    }

    /// The status server of a worker (1…) or of the notifier (4).
    func statusURL(_ index: Int) -> String { "http://127.0.0.1:\(basePort + 10 + index)" }

    /// Stops the cluster and checks that every process stopped when told, without the
    /// script's fallback to SIGKILL, and that none is left.
    private func down() async throws {
        let recorded = (try? pids()) ?? [:]
        let stopped = try await Self.command(["down"], environment: environment)
        guard stopped.succeeded else { throw TestSupportError("scripts/cluster down failed:\n\(stopped.output)") }
        guard !stopped.output.contains("killing it") else {
            throw TestSupportError("a process ignored SIGTERM:\n\(stopped.output)\n\(Self.logs(folder))")
        }
        for (name, pid) in recorded where !(await hasEnded(pid)) {
            throw TestSupportError("scripts/cluster down left \(name) (pid \(pid)) running")
        }
        try? FileManager.default.removeItem(at: folder)
    }

    private static func command(
        _ arguments: [String], environment: [String: String]
    ) async throws -> (succeeded: Bool, output: String) {
        let outcome = try await Subprocess.run(
            .path("/bin/bash"), arguments: .init([script] + arguments),
            environment: LongrunExecutable.environment(environment), output: .string(limit: 1 << 20),
            error: .combinedWithOutput)
        return (outcome.terminationStatus.isSuccess, outcome.standardOutput)
    }

    private static func logs(_ folder: URL) -> String {
        let logs = folder.appendingPathComponent("logs")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? []
        return files.sorted().map { file in
            let text = (try? String(contentsOf: logs.appendingPathComponent(file), encoding: .utf8)) ?? ""
            return "== \(file)\n" + text.split(separator: "\n").suffix(30).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// A base port whose neighbours the cluster uses (+1, +2, +11…+14, +32) are all free.
    static func freeBasePort() throws -> Int {
        for _ in 0..<50 {
            let base = Int.random(in: 20_000...50_000)
            if ([0, 1, 2, 11, 12, 13, 14, 32].allSatisfy { loopbackPortIsFree(base + $0) }) { return base }
        }
        throw TestSupportError("found no free ports for a cluster")
    }
}
