import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import LongrunAPI
import LongrunCore
import LongrunPostgres
import LongrunWorker
import NIOCore
import ServiceLifecycle

/// Operations created over HTTP by concurrent clients, beside raw single-row INSERTs
/// of the same rows from as many connections, with and without a NOTIFY in each
/// INSERT's transaction, on one PostgreSQL in one run.
struct CreateBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "POST /v1/operations from N concurrent clients vs raw single-row INSERTs."
    )

    @OptionGroup var database: BenchmarkDatabase

    @Option(help: "Concurrent HTTP clients, and connections for the raw baseline.")
    var clients = 16

    @Option(help: "Seconds each of the two measurements runs.")
    var seconds = 10

    func run() async throws {
        var logger = Logger(label: "longrun.bench")
        logger.logLevel = .warning
        let report = try await database.withURL(logger: logger) { url in
            try await measure(url: url, logger: logger)
        }
        print(report.table)
        print(report.json)
    }

    private func measure(url: String, logger: Logger) async throws -> CreateReport {
        let duration = Duration.seconds(seconds)
        let (store, pool) = try PostgresStore.connecting(
            to: url, pool: PoolSettings(maximumConnections: max(20, clients)), logger: logger)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let api = try buildAPI(
            configuration: .init(port: 0), store: store, registry: .demoKinds, services: [store.publisher],
            logger: logger, onServerRunning: { portContinuation.yield($0) }
        )
        let group = ServiceGroup(services: [pool, api], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await store.migrate()
            let tenant = try await store.ensureTenant(named: "bench")
            let key = APIKey.generate()
            try await store.addAPIKey(key, tenantID: tenant.id)

            let rawRows = try await InsertBaseline.run(
                store: store, tenantID: tenant.id, connections: clients, duration: duration
            )
            let notifyingRows = try await InsertBaseline.run(
                store: store, tenantID: tenant.id, connections: clients, duration: duration, notifying: true
            )
            var portIterator = ports.makeAsyncIterator()
            guard let port = await portIterator.next() else { throw CleanExit.message("the API never started") }
            let latencies = try await createOverHTTP(port: port, key: key, duration: duration)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return CreateReport(
                clients: clients, seconds: seconds, rawInserts: rawRows, notifyingInserts: notifyingRows,
                apiLatencies: latencies)
        }
    }

    /// Each client posts `demo.noop` operations back to back until the time is up.
    private func createOverHTTP(port: Int, key: APIKey, duration: Duration) async throws -> [Duration] {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let deadline = ContinuousClock.now + duration
        let creator = Creator(
            http: http, url: "http://127.0.0.1:\(port)/v1/operations", key: key, body: #"{"kind":"demo.noop"}"#)
        do {
            let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        var latencies: [Duration] = []
                        while ContinuousClock.now < deadline { latencies.append(try await creator.create()) }
                        return latencies
                    }
                }
                return try await group.reduce(into: [Duration]()) { $0 += $1 }
            }
            try await http.shutdown()
            return latencies
        } catch {
            try? await http.shutdown()
            throw error
        }
    }
}

/// The figures of one run, as a table for people and one JSON object for tools.
struct CreateReport {
    var clients: Int
    var seconds: Int
    var rawInserts: Int
    var notifyingInserts: Int
    var apiLatencies: [Duration]

    var rawPerSecond: Double { Double(rawInserts) / Double(seconds) }
    var notifyingPerSecond: Double { Double(notifyingInserts) / Double(seconds) }
    var apiPerSecond: Double { Double(apiLatencies.count) / Double(seconds) }

    var table: String {
        """
        create: \(clients) clients/connections, \(seconds) s each
          raw single-row INSERT     \(String(format: "%8.0f", rawPerSecond)) rows/s
          the same + NOTIFY inside  \(String(format: "%8.0f", notifyingPerSecond)) rows/s   (\(String(format: "%.2f", notifyingPerSecond / max(rawPerSecond, 1))) × raw)
          POST /v1/operations       \(String(format: "%8.0f", apiPerSecond)) operations/s   (\(String(format: "%.2f", apiPerSecond / max(rawPerSecond, 1))) × raw)
          create latency            \(Samples(apiLatencies).summary)
        """
    }

    var json: String {
        let fields: [(String, String)] =
            [
                ("scenario", "\"create\""), ("clients", "\(clients)"), ("seconds", "\(seconds)"),
                ("raw_inserts_per_second", String(format: "%.1f", rawPerSecond)),
                ("notifying_inserts_per_second", String(format: "%.1f", notifyingPerSecond)),
                ("api_creates_per_second", String(format: "%.1f", apiPerSecond)),
                ("ratio_to_raw", String(format: "%.3f", apiPerSecond / max(rawPerSecond, 1))),
            ] + Samples(apiLatencies).jsonFields("create")
        return jsonObject(fields)
    }
}
