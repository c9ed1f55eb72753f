import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import LongrunCore
import LongrunLocalPostgres
import LongrunPostgres
import LongrunTesting
import NIOCore
import NIOHTTP1

/// The whole path as users drive it: operations created over HTTP by concurrent clients
/// against a real `longrun api`, run by real `longrun worker` processes, their webhooks
/// sent by a real `longrun notifier` to a receiver on loopback. Beside it, in the same
/// run, the raw single-row INSERT rate: the ceiling every create pays.
struct EndToEndBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "HTTP creates → workers → signed webhooks, operations/s from first request to last webhook."
    )

    @OptionGroup var database: BenchmarkDatabase
    @OptionGroup var notifications: BenchmarkNotifications

    @Option(help: "Operations created in the throughput run.")
    var operations = 5_000

    @Option(help: "Concurrent HTTP clients.")
    var clients = 16

    @Option(help: "Worker processes.")
    var workers = 2

    @Option(help: "Slots per worker process.")
    var concurrency = 100

    @Option(help: "Seconds of the raw INSERT baseline and of the paced latency run.")
    var seconds = 5

    func run() async throws {
        var quiet = Logger(label: "longrun.bench")
        quiet.logLevel = .warning
        let logger = quiet
        let report = try await WebhookReceiver.run { receiver in
            try await database.withURL(logger: logger) { url in
                try await measure(url: url, receiver: receiver, logger: logger)
            }
        }
        print(report.table)
        print(report.json)
    }

    private func measure(url: String, receiver: WebhookReceiver, logger: Logger) async throws -> EndToEndReport {
        let (key, rawInserts) = try await withPostgresStore(url: url, logger: logger) { store in
            try await store.migrate()
            let tenant = try await store.ensureTenant(named: "bench")
            let key = APIKey.generate()
            try await store.addAPIKey(key, tenantID: tenant.id)
            let rows = try await InsertBaseline.run(
                store: store, tenantID: tenant.id, connections: clients, duration: .seconds(seconds))
            try await BenchmarkFixtures.deleteAllOperations(store: store)
            return (key, rows)
        }
        let port = try freeLoopbackPort()
        var processes = [
            try startLongrun(
                ["api", "--port", "\(port)", "--allow-private-callbacks"], databaseURL: url,
                environment: notifications.environment),
            try startLongrun(
                ["notifier", "--allow-private-callbacks"], databaseURL: url, environment: notifications.environment),
        ]
        for _ in 0..<workers {
            processes.append(
                try startLongrun(
                    ["worker", "--concurrency", "\(concurrency)", "--poll-interval", "1s"], databaseURL: url,
                    environment: notifications.environment))
        }
        defer {
            for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let creator = Creator(
                http: http, url: "http://127.0.0.1:\(port)/v1/operations", key: key,
                body: #"{"kind":"demo.noop","callback_url":"\#(receiver.url("/e2e"))"}"#)
            try await creator.waitUntilReady(processes: processes)

            // Throughput: every client creates back to back; the clock runs from the first
            // request to the last webhook's arrival.
            let first = ContinuousClock.now
            let closedLoop = try await withThrowingTaskGroup(of: [Duration].self) { group in
                for client in 0..<clients {
                    group.addTask {
                        var latencies: [Duration] = []
                        for _ in stride(from: client, to: operations, by: clients) {
                            latencies.append(try await creator.create())
                        }
                        return latencies
                    }
                }
                return try await group.reduce(into: [Duration]()) { $0 += $1 }
            }
            let hooks = try await receiver.waitFor(timeout: .seconds(600)) { requests in
                requests.count >= operations
            }
            let last = hooks.map(\.arrived).max() ?? first
            let rate = Double(operations) / (last - first).inSeconds

            // Create latency at half that rate, paced: each request is timed from when it
            // was due, so a slow answer also counts against the requests it held up.
            let paced = try await creator.paced(rate: rate / 2, clients: clients, for: .seconds(seconds))
            try await http.shutdown()
            for process in processes { process.terminate() }
            for process in processes { process.waitUntilExit() }
            return EndToEndReport(
                operations: operations, clients: clients, workers: workers, concurrency: concurrency,
                notifications: notifications.notifications,
                rawInsertsPerSecond: Double(rawInserts) / Double(seconds), operationsPerSecond: rate,
                closedLoopCreates: Samples(closedLoop), pacedRate: rate / 2, pacedCreates: Samples(paced))
        } catch {
            try? await http.shutdown()
            throw error
        }
    }
}

/// Posts operations to one API node (the `create` and `e2e` benchmarks).
struct Creator: Sendable {
    let http: HTTPClient
    let url: String
    let key: APIKey
    let body: String

    /// One create; its latency.
    func create() async throws -> Duration {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key.text)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let start = ContinuousClock.now
        let response = try await http.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .accepted else { throw CleanExit.message("create answered \(response.status)") }
        return ContinuousClock.now - start
    }

    /// `clients` senders sharing `rate` creates per second for `duration`; each latency
    /// from the moment its request was due.
    func paced(rate: Double, clients: Int, for duration: Duration) async throws -> [Duration] {
        let interval = Duration.seconds(Double(clients) / max(rate, 1))
        let start = ContinuousClock.now
        return try await withThrowingTaskGroup(of: [Duration].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var latencies: [Duration] = []
                    var due = start + interval * (Double(client) / Double(clients))
                    while due < start + duration {
                        try await Task.sleep(until: due, clock: .continuous)
                        _ = try await create()
                        latencies.append(ContinuousClock.now - due)
                        due += interval
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: [Duration]()) { $0 += $1 }
        }
    }

    /// Waits for the node to answer, failing early when a process died.
    func waitUntilReady(processes: [Process]) async throws {
        let readyz = url.replacingOccurrences(of: "/v1/operations", with: "/readyz")
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard processes.allSatisfy(\.isRunning) else { throw CleanExit.message("a longrun process exited") }
            if let response = try? await http.execute(HTTPClientRequest(url: readyz), timeout: .seconds(2)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CleanExit.message("the API did not become ready")
    }
}

/// The figures of one run, as a table for people and one JSON object for tools.
struct EndToEndReport {
    var operations: Int
    var clients: Int
    var workers: Int
    var concurrency: Int
    var notifications: String
    var rawInsertsPerSecond: Double
    var operationsPerSecond: Double
    var closedLoopCreates: Samples
    var pacedRate: Double
    var pacedCreates: Samples

    private var ratio: Double { operationsPerSecond / max(rawInsertsPerSecond, 1) }

    var table: String {
        """
        e2e: \(operations) operations, \(clients) clients, \(workers) worker process(es) × \(concurrency) slots, a notifier; notifications: \(notifications)
          raw single-row INSERT                 \(String(format: "%8.0f", rawInsertsPerSecond)) rows/s
          create → run → webhook                \(String(format: "%8.0f", operationsPerSecond)) operations/s   (\(String(format: "%.2f", ratio)) × raw)
          create latency, clients flat out      \(closedLoopCreates.summary)
          create latency at \(String(format: "%.0f", pacedRate))/s (half)     \(pacedCreates.summary)
        """
    }

    var json: String {
        jsonObject(
            [
                ("scenario", "\"e2e\""), ("operations", "\(operations)"), ("clients", "\(clients)"),
                ("workers", "\(workers)"), ("concurrency", "\(concurrency)"),
                ("notifications", "\"\(notifications)\""),
                ("raw_inserts_per_second", String(format: "%.1f", rawInsertsPerSecond)),
                ("operations_per_second", String(format: "%.1f", operationsPerSecond)),
                ("ratio_to_raw", String(format: "%.3f", ratio)),
                ("paced_rate", String(format: "%.1f", pacedRate)),
            ] + closedLoopCreates.jsonFields("create") + pacedCreates.jsonFields("paced_create"))
    }
}
