import Foundation
import LongrunCore
import LongrunPostgres
import LongrunTesting
import Testing

/// Claims and the fenced writes of lease holders, on a real PostgreSQL.
@Suite struct LeaseTests {
    func request(
        slots: Int, queues: [String] = ["default"], kinds: [String] = ["demo.noop", "demo.sleep"]
    )
        -> ClaimRequest
    {
        ClaimRequest(workerID: UUID(), slots: slots, queues: queues, kinds: kinds, lease: .seconds(30))
    }

    @Test func claimTakesDueOperationsByPriorityThenAgeFromItsQueuesAndKinds() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                func make(_ priority: Int, queue: String = "default", kind: String = "demo.noop") async throws -> UUID {
                    try await store.create(
                        NewOperation(
                            tenantID: tenant.id, kind: kind, input: .emptyObject, queue: queue, priority: priority)
                    ).id
                }
                let low = try await make(0)
                let high = try await make(5)
                let highLater = try await make(5)
                _ = try await make(9, queue: "other")
                _ = try await make(9, kind: "demo.unknown")
                let notYetDue = try await make(9)
                _ = try await database.rows(
                    "UPDATE operations SET run_at = now() + interval '1 hour' WHERE id = \(notYetDue)")

                let claimed = try await store.claim(request(slots: 2))
                #expect(Set(claimed.map(\.id)) == [high, highLater])
                #expect(claimed.allSatisfy { $0.attempt == 1 })
                #expect(Set(claimed.map(\.leaseToken)).count == 2)
                #expect(try await store.claim(request(slots: 5)).map(\.id) == [low])
                #expect(try await store.claim(request(slots: 5)).isEmpty)

                let running = try #require(try await store.operation(id: high, tenantID: tenant.id))
                #expect(running.status == .running)
                #expect(running.lease?.token == claimed[0].leaseToken)
                #expect(running.startedAt != nil)
                #expect(running.lease.map { $0.expiresAt > Date() } == true)
            }
        }
    }

    @Test func concurrentClaimersNeverShareAnOperation() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                for _ in 0..<200 {
                    _ = try await store.create(
                        NewOperation(tenantID: tenant.id, kind: "demo.noop", input: .emptyObject))
                }
                let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            var mine: [UUID] = []
                            while true {
                                let batch = try await store.claim(request(slots: 10))
                                if batch.isEmpty { return mine }
                                mine += batch.map(\.id)
                            }
                        }
                    }
                    return try await group.reduce(into: [UUID]()) { $0 += $1 }
                }
                #expect(claimed.count == 200)
                #expect(Set(claimed).count == 200)
            }
        }
    }

    @Test func completionIsFencedByTheLeaseToken() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let id = try await store.create(
                    NewOperation(
                        tenantID: tenant.id, kind: "demo.noop", input: .emptyObject,
                        callbackURL: "https://example.com/h"
                    )
                ).id
                let claimed = try #require(try await store.claim(request(slots: 1)).first)
                #expect(try await store.complete(id: id, leaseToken: UUID(), result: .emptyObject) == false)
                #expect(try await store.operation(id: id, tenantID: tenant.id)?.status == .running)

                let result = JSONValue.object(["answer": .integer(42)])
                #expect(try await store.complete(id: id, leaseToken: claimed.leaseToken, result: result))
                let done = try #require(try await store.operation(id: id, tenantID: tenant.id))
                #expect(done.status == .succeeded && done.result == result && done.progress == 100)
                #expect(done.lease == nil && done.finishedAt != nil)
                #expect(try await store.deliveries(operationID: id).map(\.format) == [.standard])
                // A second completion, even with the token, changes nothing.
                #expect(try await store.complete(id: id, leaseToken: claimed.leaseToken, result: .null) == false)
                #expect(try await store.operation(id: id, tenantID: tenant.id)?.result == result)
            }
        }
    }

    @Test func aCancelledOperationCannotBeCompletedOrFailedByItsWorker() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let id = try await store.create(
                    NewOperation(tenantID: tenant.id, kind: "demo.sleep", input: .emptyObject)
                ).id
                let claimed = try #require(try await store.claim(request(slots: 1)).first)
                guard case .cancelled = try await store.cancelOperation(id: id, tenantID: tenant.id) else {
                    Issue.record("not cancelled")
                    return
                }
                #expect(try await store.complete(id: id, leaseToken: claimed.leaseToken, result: .emptyObject) == false)
                let error = OperationError(code: .handlerError, message: "late")
                #expect(try await store.fail(id: id, leaseToken: claimed.leaseToken, error: error) == false)
                let after = try #require(try await store.operation(id: id, tenantID: tenant.id))
                #expect(after.status == .cancelled && after.result == nil && after.error?.code == .cancelled)
            }
        }
    }

    @Test func failingRecordsTheErrorAndOwesItsWebhooks() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let id = try await store.create(
                    NewOperation(
                        tenantID: tenant.id, kind: "demo.noop", input: .emptyObject,
                        ouro: OuroContext(webhookURL: "https://ouro.example/hook")
                    )
                ).id
                let claimed = try #require(try await store.claim(request(slots: 1)).first)
                let error = OperationError(code: .handlerError, message: "disk full")
                #expect(try await store.fail(id: id, leaseToken: claimed.leaseToken, error: error))
                let failed = try #require(try await store.operation(id: id, tenantID: tenant.id))
                #expect(failed.status == .failed && failed.error == error && failed.lease == nil)
                #expect(try await store.deliveries(operationID: id).map(\.format) == [.ouro])
            }
        }
    }
}
