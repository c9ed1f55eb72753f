import Foundation
import LongrunCore
import LongrunPostgres
import LongrunTesting
import Testing

/// `longrun notifier` as real processes: one killed mid-send, another sending again.
@Suite(.timeLimit(.minutes(3))) struct NotifierCommandTests {
    @Test func aDeliveryCutShortBySIGKILLIsSentAgainByAnotherNotifier() async throws {
        // The first try hangs (the notifier dies while waiting); later tries succeed.
        let answer: WebhookReceiver.Script = { _, attempt in
            attempt == 1 ? .init(status: 200, delay: .seconds(60)) : .ok
        }
        try await WebhookReceiver.run(answer: answer) {
            receiver in
            try await TestDatabase.with { database in
                try await database.withStore { store in
                    let tenant = try await store.ensureTenant(named: "acme")
                    let arguments = [
                        "notifier", "--database-url", database.url, "--allow-private-callbacks", "--send-timeout",
                        "10s",
                    ]
                    let first = try LongrunProcess.start(arguments)
                    defer { first.stop() }
                    let created = try await store.create(
                        NewOperation(
                            tenantID: tenant.id, kind: "demo.noop", input: .emptyObject,
                            callbackURL: receiver.url("/done")))
                    _ = try await store.cancelOperation(id: created.id, tenantID: tenant.id)
                    try await receiver.waitFor { $0.count == 1 }
                    first.send(SIGKILL)
                    _ = try await first.waitForExit()

                    let second = try LongrunProcess.start(arguments)
                    defer { second.stop() }
                    let requests = try await receiver.waitFor(timeout: .seconds(60)) { $0.count == 2 }
                    #expect(requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"])
                    #expect(requests[0].body == requests[1].body)
                    var delivery = try #require(try await store.deliveries(operationID: created.id).first)
                    let deadline = ContinuousClock.now + .seconds(30)
                    while delivery.status != .delivered, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                        delivery = try #require(try await store.deliveries(operationID: created.id).first)
                    }
                    // The dead notifier's try left no record; the second is attempt 2.
                    #expect(delivery.status == .delivered, "\(second.log)")
                    #expect(delivery.attempts.first?.number == 2, "\(delivery.attempts)")
                    second.send(SIGTERM)
                    #expect(try await second.waitForExit()?.status == 0, "\(second.log)")
                }
            }
        }
    }
}
