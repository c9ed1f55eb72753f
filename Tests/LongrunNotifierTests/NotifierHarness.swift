import Foundation
import Logging
import LongrunCore
import LongrunNotifier
import LongrunPostgres
import LongrunTesting
import ServiceLifecycle
import Testing

/// Notifiers in this process on a real PostgreSQL, sending to a real receiver on
/// loopback. Operations reach their terminal state through the store's own worker and
/// cancel paths, so the outbox rows are the ones production writes.
struct NotifierHarness {
    let database: TestDatabase
    let store: PostgresStore
    let tenant: Tenant
    let receiver: WebhookReceiver

    static func with<Result: Sendable>(
        configurations: [NotifierConfiguration] = [.fast()],
        forwardingLogsTo ouroPath: String? = nil,
        answer: @escaping WebhookReceiver.Script = { _, _ in .ok },
        _ body: @Sendable (NotifierHarness, ServiceGroup) async throws -> Result
    ) async throws -> Result {
        try await WebhookReceiver.run(answer: answer) { receiver in
            try await TestDatabase.with { database in
                try await database.withStore { store in
                    let tenant = try await store.ensureTenant(named: "acme")
                    var logger = Logger(label: "longrun.test.notifier")
                    logger.logLevel = .critical
                    let notifiers: [any Service] = configurations.map { configuration in
                        var configuration = configuration
                        if let ouroPath {
                            configuration.ouro = OuroLogForwarding(baseURL: receiver.url(ouroPath), apiKey: "ouro-key")
                        }
                        return Notifier(store: store, configuration: configuration, logger: logger)
                    }
                    let group = ServiceGroup(services: [store.publisher] + notifiers, logger: logger)
                    return try await withThrowingTaskGroup(of: Void.self) { tasks in
                        tasks.addTask { try await group.run() }
                        do {
                            let result = try await body(
                                NotifierHarness(database: database, store: store, tenant: tenant, receiver: receiver),
                                group)
                            await group.triggerGracefulShutdown()
                            try await tasks.waitForAll()
                            return result
                        } catch {
                            tasks.cancelAll()
                            throw error
                        }
                    }
                }
            }
        }
    }

    /// An operation that succeeded with `result`, through claim and complete, owing the
    /// webhooks its callback URL (the receiver's `callbackPath`, or `callbackURL`) and
    /// Ouro headers ask for.
    func succeeded(
        result: JSONValue = .object(["rows": .integer(3)]), callbackPath: String? = "/hooks",
        callbackURL: String? = nil, ouro: OuroContext = OuroContext()
    ) async throws -> UUID {
        let (id, token) = try await running(callbackPath: callbackPath, callbackURL: callbackURL, ouro: ouro)
        guard try await store.complete(id: id, leaseToken: token, result: result) else {
            throw TestSupportError("the completion did not take")
        }
        return id
    }

    /// A running operation and its lease token.
    func running(
        callbackPath: String? = "/hooks", callbackURL: String? = nil, ouro: OuroContext = OuroContext()
    ) async throws -> (UUID, UUID) {
        let queue = "q" + UUID().lowercasedText.prefix(8)
        let created = try await store.create(
            NewOperation(
                tenantID: tenant.id, kind: "report.build", input: .emptyObject, queue: queue,
                callbackURL: callbackURL ?? callbackPath.map(receiver.url), ouro: ouro))
        let claimed = try await store.claim(
            ClaimRequest(workerID: UUID(), slots: 1, queues: [queue], kinds: ["report.build"], lease: .seconds(60)))
        guard let operation = claimed.first, operation.id == created.id else {
            throw TestSupportError("the operation was not claimed")
        }
        return (operation.id, operation.leaseToken)
    }

    func deliveries(_ id: UUID) async throws -> [WebhookDelivery] {
        try await store.deliveries(operationID: id)
    }

    /// Polls the operation's deliveries until `condition` holds, or fails after `timeout`.
    @discardableResult
    func waitForDeliveries(
        _ id: UUID, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: ([WebhookDelivery]) -> Bool
    ) async throws -> [WebhookDelivery] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let deliveries = try await deliveries(id)
            if condition(deliveries) { return deliveries }
            guard ContinuousClock.now < deadline else {
                Issue.record(
                    "timed out; deliveries: \(deliveries.map { "\($0.format) \($0.status) \($0.attempts.count)" })",
                    sourceLocation: sourceLocation)
                return deliveries
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

extension NotifierConfiguration {
    /// Short retries and timeouts, private addresses allowed (the receiver is on loopback).
    static func fast(
        concurrency: Int = 16, retries: [Duration] = [.milliseconds(50), .milliseconds(50), .milliseconds(50)],
        sendTimeout: Duration = .seconds(5), shutdownGrace: Duration = .seconds(5), allowPrivate: Bool = true,
        ouro: OuroLogForwarding? = nil
    ) -> NotifierConfiguration {
        NotifierConfiguration(
            concurrency: concurrency, retrySchedule: DeliveryRetrySchedule(delays: retries), sendTimeout: sendTimeout,
            pollInterval: .milliseconds(500), shutdownGrace: shutdownGrace, allowPrivateCallbacks: allowPrivate,
            ouro: ouro)
    }
}
