import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import LongrunAPI
import LongrunCore
import LongrunLocalPostgres
import LongrunPostgres
import LongrunTesting
import LongrunWorker
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Long polls and event streams on one API node: how long from a worker's completion to
/// the answer of a waiting `GET …/wait`, beside a plain `GET` of the same operation (the
/// floor of any answer) measured in the same run; and the resident memory of a real
/// `longrun api` process holding many open event streams, beside the same process idle.
struct WaitBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Completion → /wait answer latency beside a plain GET, and an API node's memory with open streams."
    )

    @OptionGroup var database: BenchmarkDatabase

    @Option(help: "Latency samples.")
    var samples = 1000

    @Option(help: "Event streams held open for the memory figure.")
    var streams = 1000

    func run() async throws {
        _ = raiseOpenFileLimit(to: rlim_t(streams) * 2 + 512)
        var quiet = Logger(label: "longrun.bench")
        quiet.logLevel = .warning
        let logger = quiet
        try await database.withURL(logger: logger) { url in
            let key = try await benchmarkKey(url: url, logger: logger)
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: streams + 16)
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                let (waited, plain) = try await Self.latencies(
                    url: url, key: key, samples: samples, http: http, logger: logger)
                let (idle, holding) = try await memory(url: url, key: key, http: http, logger: logger)
                try await http.shutdown()
                print("wait: \(samples) samples, one waiter at a time; \(streams) open event streams")
                print("  completion → /wait answered   \(waited.summary)")
                print("  plain GET (floor)             \(plain.summary)")
                print(
                    String(
                        format: "  longrun api RSS: idle %.1f MB, with %d streams %.1f MB (%.1f KB per stream)",
                        idle, streams, holding, (holding - idle) * 1024 / Double(streams)))
                print(
                    jsonObject(
                        [
                            ("scenario", "\"wait\""), ("samples", "\(samples)"), ("streams", "\(streams)"),
                            ("idle_rss_mb", String(format: "%.1f", idle)),
                            ("streams_rss_mb", String(format: "%.1f", holding)),
                        ] + waited.jsonFields("wait") + plain.jsonFields("get")))
            } catch {
                try? await http.shutdown()
                throw error
            }
        }
    }

    /// An API node in this process; one operation at a time is claimed, waited on, and
    /// completed through the worker's own statement: completion → `/wait` answered, and
    /// a plain `GET` of the same operation beside it.
    static func latencies(
        url: String, key: String, samples: Int, http: HTTPClient, logger: Logger
    ) async throws -> (waited: Samples, plain: Samples) {
        let (store, pool) = try PostgresStore.connecting(to: url, logger: logger)
        let feed = ChangeFeed(source: store, limit: 100, logger: logger)
        let ready = AsyncStream<Int>.makeStream()
        let api = try buildAPI(
            configuration: APIConfiguration(port: 0), store: store, registry: .demoKinds, changeFeed: feed,
            logger: logger, onServerRunning: { ready.continuation.yield($0) })
        let group = ServiceGroup(services: [pool, store.publisher, api], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var ports = ready.stream.makeAsyncIterator()
            guard let port = await ports.next() else { throw ValidationError("the API node did not start") }
            let base = "http://127.0.0.1:\(port)"
            let tenant = try await store.ensureTenant(named: "bench")
            try await Task.sleep(for: .seconds(1))
            var waited: [Duration] = []
            var plain: [Duration] = []
            for _ in 0..<samples {
                let created = try await store.createOperation(
                    NewOperation(tenantID: tenant.id, kind: "demo.noop", input: .emptyObject))
                guard case .created(let operation) = created,
                    let claimed = try await store.claim(
                        ClaimRequest(
                            workerID: UUID(), slots: 1, queues: ["default"], kinds: ["demo.noop"], lease: .seconds(60))
                    ).first, claimed.id == operation.id
                else { throw ValidationError("the benchmark's operation was not claimed") }
                let path = "/v1/operations/\(operation.id.lowercasedText)"
                let started = ContinuousClock.now
                _ = try await get(base + path, key: key, http: http)
                plain.append(ContinuousClock.now - started)

                async let answer = get(base + path + "/wait?timeout=60", key: key, http: http)
                while feed.count == 0 { try await Task.sleep(for: .microseconds(100)) }
                let issued = ContinuousClock.now
                _ = try await store.complete(id: claimed.id, leaseToken: claimed.leaseToken, result: .emptyObject)
                _ = try await answer
                waited.append(ContinuousClock.now - issued)
                while feed.count > 0 { try await Task.sleep(for: .microseconds(100)) }
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return (Samples(waited), Samples(plain))
        }
    }

    /// A real `longrun api` process: its RSS idle, then holding `streams` event streams
    /// of pending operations (megabytes).
    private func memory(url: String, key: String, http: HTTPClient, logger: Logger) async throws -> (Double, Double) {
        let port = try freeLoopbackPort()
        let node = try startLongrun(
            ["api", "--port", "\(port)", "--max-watchers", "\(streams + 10)"], databaseURL: url)
        defer {
            // Stopped while its database is still up, and waited for, so nothing outlives the run.
            node.terminate()
            for _ in 0..<200 where node.isRunning { usleep(50_000) }
            if node.isRunning { kill(node.processIdentifier, SIGKILL) }
        }
        let base = "http://127.0.0.1:\(port)"
        var up = false
        for _ in 0..<200 where !up {
            up = (try? await Self.get(base + "/readyz", key: key, http: http)) != nil
            if !up { try await Task.sleep(for: .milliseconds(50)) }
        }
        guard up else { throw ValidationError("longrun api did not start") }
        let ids = try await withPostgresStore(url: url, logger: logger) { store in
            let tenant = try await store.ensureTenant(named: "bench")
            var ids: [UUID] = []
            for _ in 0..<streams {
                guard
                    case .created(let operation) = try await store.createOperation(
                        NewOperation(tenantID: tenant.id, kind: "demo.noop", input: .emptyObject, queue: "parked"))
                else { continue }
                ids.append(operation.id)
            }
            return ids
        }
        try await Task.sleep(for: .seconds(2))
        let idle = try residentMegabytes(of: node.processIdentifier)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask {
                    var request = HTTPClientRequest(url: base + "/v1/operations/\(id.lowercasedText)/events")
                    request.headers.add(name: "authorization", value: "Bearer \(key)")
                    let response = try await http.execute(request, timeout: .seconds(120))
                    for try await _ in response.body {}
                }
            }
            try await Task.sleep(for: .seconds(Double(streams) / 200 + 3))
            let holding = try residentMegabytes(of: node.processIdentifier)
            group.cancelAll()
            return (idle, holding)
        }
    }

    private static func get(_ url: String, key: String, http: HTTPClient) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "authorization", value: "Bearer \(key)")
        let response = try await http.execute(request, timeout: .seconds(90))
        guard response.status == .ok else { throw ValidationError("\(url) answered \(response.status)") }
        return try await response.body.collect(upTo: 1 << 20)
    }
}

/// A new API key of the tenant `bench` (the schema migrated first).
func benchmarkKey(url: String, logger: Logger) async throws -> String {
    try await withPostgresStore(url: url, logger: logger) { store in
        try await store.migrate()
        let key = APIKey.generate()
        try await store.addAPIKey(key, tenantID: try await store.ensureTenant(named: "bench").id)
        return key.text
    }
}

/// `VmRSS` of a process, in megabytes.
func residentMegabytes(of pid: Int32) throws -> Double {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { throw ValidationError("no VmRSS for \(pid)") }
    return kilobytes / 1024
}
