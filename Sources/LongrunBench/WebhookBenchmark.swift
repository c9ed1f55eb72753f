import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import LongrunCore
import LongrunNotifier
import LongrunPostgres
import LongrunTesting
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// The notifier against a fast receiver on loopback: how long from a terminal transition
/// to the webhook's arrival on an idle system, and how many deliveries per second a
/// backlog drains at. Each beside the same receiver fed by plain HTTP posts (no
/// database, no signing) in the same run: the floor the notifier stands on.
struct WebhookBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Completion → webhook latency and delivery throughput, beside plain HTTP posts to the same receiver."
    )

    @OptionGroup var database: BenchmarkDatabase

    @Option(help: "Latency samples.")
    var samples = 1000

    @Option(help: "Deliveries in the throughput backlog.")
    var deliveries = 10_000

    @Option(help: "Sends at once, for the notifier and for the plain posts.")
    var concurrency = 64

    func run() async throws {
        var quiet = Logger(label: "longrun.bench")
        quiet.logLevel = .warning
        let logger = quiet
        try await WebhookReceiver.run { receiver in
            try await database.withURL(logger: logger) { url in
                try await measure(url: url, receiver: receiver, logger: logger)
            }
        }
    }

    private func measure(url: String, receiver: WebhookReceiver, logger: Logger) async throws {
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        let body = Array(repeating: UInt8(ascii: "x"), count: 700)

        // Baselines: plain posts of a body the size of a resource.
        var plain: [Duration] = []
        for _ in 0..<samples {
            let issued = ContinuousClock.now
            let before = receiver.count
            try await post(body, to: receiver.url("/plain"), with: http)
            plain.append(receiver.requests[before].arrived - issued)
        }
        let plainStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for _ in stride(from: worker, to: deliveries, by: concurrency) {
                        try await post(body, to: receiver.url("/plain"), with: http)
                    }
                }
            }
            try await group.waitForAll()
        }
        let plainRate = Double(deliveries) / (ContinuousClock.now - plainStart).inSeconds
        try await http.shutdown()

        let tenant = try await withPostgresStore(url: url, logger: logger) { store in
            try await store.migrate()
            return try await store.ensureTenant(named: "bench")
        }
        let notifierLatency = try await Self.latencies(
            url: url, tenantID: tenant.id, receiver: receiver, samples: samples, concurrency: concurrency,
            logger: logger)
        // Throughput: a backlog written while no notifier runs, then drained.
        try await withPostgresStore(url: url, logger: logger) { store in
            try await BenchmarkFixtures.prefillDeliveries(
                store: store, tenantID: tenant.id, url: receiver.url("/backlog"), count: deliveries)
        }
        let drainRate = try await drain(url: url, receiver: receiver, logger: logger)
        let plainLatency = Samples(plain)
        print("webhooks: \(samples) latency samples, \(deliveries) deliveries drained, \(concurrency) sends at once")
        print("  completion → webhook received   \(notifierLatency.summary)")
        print("  plain post → received (floor)   \(plainLatency.summary)")
        print(
            String(
                format: "  drain %.0f deliveries/s   plain posts %.0f/s   ratio %.2f", drainRate, plainRate,
                drainRate / plainRate))
        print(
            jsonObject(
                [
                    ("scenario", "\"webhooks\""), ("samples", "\(samples)"), ("deliveries", "\(deliveries)"),
                    ("concurrency", "\(concurrency)"), ("drain_per_s", String(format: "%.0f", drainRate)),
                    ("plain_per_s", String(format: "%.0f", plainRate)),
                ] + notifierLatency.jsonFields("webhook") + plainLatency.jsonFields("plain")))
    }

    /// On an idle notifier, one operation at a time: from the worker's completion
    /// statement to the webhook's arrival at `receiver`.
    static func latencies(
        url: String, tenantID: Int64, receiver: WebhookReceiver, samples: Int, concurrency: Int, logger: Logger
    ) async throws -> Samples {
        let (store, group) = try notifierProcess(url: url, concurrency: concurrency, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Let the notifier subscribe before the first sample.
            try await Task.sleep(for: .seconds(1))
            var latencies: [Duration] = []
            for _ in 0..<samples {
                let created = try await store.createOperation(
                    NewOperation(
                        tenantID: tenantID, kind: "demo.noop", input: .emptyObject, callbackURL: receiver.url("/hook")))
                guard case .created(let operation) = created,
                    let claimed = try await store.claim(
                        ClaimRequest(
                            workerID: UUID(), slots: 1, queues: ["default"], kinds: ["demo.noop"], lease: .seconds(60))
                    ).first, claimed.id == operation.id
                else { throw ValidationError("the benchmark's operation was not claimed") }
                let before = receiver.count
                let issued = ContinuousClock.now
                _ = try await store.complete(id: claimed.id, leaseToken: claimed.leaseToken, result: .emptyObject)
                while receiver.count == before { try await Task.sleep(for: .microseconds(200)) }
                latencies.append(receiver.requests[before].arrived - issued)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return Samples(latencies)
        }
    }

    /// A fresh notifier drains the prefilled backlog; deliveries per second.
    private func drain(url: String, receiver: WebhookReceiver, logger: Logger) async throws -> Double {
        let (_, group) = try Self.notifierProcess(url: url, concurrency: concurrency, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            let before = receiver.count
            let started = ContinuousClock.now
            tasks.addTask { try await group.run() }
            while receiver.count - before < deliveries { try await Task.sleep(for: .milliseconds(2)) }
            let elapsed = ContinuousClock.now - started
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return Double(deliveries) / elapsed.inSeconds
        }
    }

    /// A store and the services of a notifier process on it.
    private static func notifierProcess(
        url: String, concurrency: Int, logger: Logger
    ) throws -> (PostgresStore, ServiceGroup) {
        let (store, pool) = try PostgresStore.connecting(to: url, logger: logger)
        let notifier = Notifier(
            store: store,
            configuration: NotifierConfiguration(concurrency: concurrency, allowPrivateCallbacks: true),
            logger: logger)
        return (store, ServiceGroup(services: [pool, store.publisher, notifier], logger: logger))
    }

    private func post(_ body: [UInt8], to url: String, with client: HTTPClient) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
    }
}
