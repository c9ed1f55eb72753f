import Foundation
import LongrunCore
import LongrunTesting
import Synchronization
import Testing

@testable import LongrunPostgres

/// Creates that arrive together share one INSERT (``CreateBatcher``), and sharing must
/// change nothing a client can see.
@Suite struct BatchedCreateTests {
    @Test func concurrentCreatesShareStatementsAndEachGetsItsOwnOperation() async throws {
        try await TestDatabase.with { database in
            let ids = try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                return try await withThrowingTaskGroup(of: UUID.self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            let new = NewOperation(
                                tenantID: tenant.id, kind: "demo.noop", input: .object(["n": .integer(Int64(index))]))
                            let created = try await store.create(new)
                            #expect(created.id == new.id)
                            #expect(created.input == new.input)
                            return created.id
                        }
                    }
                    return try await group.reduce(into: Set<UUID>()) { $0.insert($1) }
                }
            }
            #expect(ids.count == 200)
            #expect(try await database.count("SELECT count(*) FROM operations") == 200)
            // Rows written by one statement share its transaction id: fewer transactions
            // than creates means creates were batched.
            let transactions = try await database.count("SELECT count(DISTINCT xmin::text) FROM operations")
            #expect(transactions < 200)
        }
    }

    @Test func aRowTheDatabaseRefusesFailsAloneAndTheRestOfItsBatchIsStored() async throws {
        try await TestDatabase.with { database in
            let outcomes = try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                return await withTaskGroup(of: Bool.self) { group in
                    for index in 0..<100 {
                        // No tenant 999 999: the foreign key refuses that row.
                        let tenantID = index == 50 ? 999_999 : tenant.id
                        group.addTask {
                            (try? await store.createOperation(
                                NewOperation(tenantID: tenantID, kind: "demo.noop", input: .emptyObject))) != nil
                        }
                    }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
            }
            #expect(outcomes.filter { !$0 }.count == 1)
            #expect(try await database.count("SELECT count(*) FROM operations") == 99)
        }
    }

    @Test func oneIdempotencyKeyTwiceInABatchMakesOneOperation() async throws {
        try await TestDatabase.with { database in
            let outcomes = try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let key = IdempotencyRecord(key: "k-1", fingerprint: [1, 2, 3], expiresAt: Date() + 3600)
                return try await withThrowingTaskGroup(of: CreateOutcome.self) { group in
                    for _ in 0..<40 {
                        group.addTask {
                            try await store.createOperation(
                                NewOperation(
                                    tenantID: tenant.id, kind: "demo.noop", input: .emptyObject, idempotency: key))
                        }
                    }
                    return try await group.reduce(into: [CreateOutcome]()) { $0.append($1) }
                }
            }
            var created: [UUID] = []
            var replayed: [UUID] = []
            for outcome in outcomes {
                switch outcome {
                case .created(let operation): created.append(operation.id)
                case .replayed(let operation): replayed.append(operation.id)
                case .keyReusedForAnotherRequest: Issue.record("the same request was taken for another")
                }
            }
            #expect(created.count == 1)
            #expect(replayed.count == 39)
            #expect(Set(replayed) == Set(created))
            #expect(try await database.count("SELECT count(*) FROM operations") == 1)
        }
    }

    @Test func aCreateThatArrivesMidWriteGoesInTheNextBatchWithTheOthers() async throws {
        let batcher = CreateBatcher(maxBatch: 100, maxWriters: 1)
        let batches = Mutex<[[UUID]]>([])
        let (firstWriteStarted, started) = AsyncStream<Void>.makeStream()
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let write: CreateBatcher.Write = { batch in
            let count = batches.withLock { batches in
                batches.append(batch.map(\.id))
                return batches.count
            }
            if count == 1 {
                // Hold the first batch until the others have queued behind it.
                started.yield()
                for await _ in release { break }
            }
            return batch.map { .success(.created(Self.record(of: $0))) }
        }
        let operations = (0..<11).map { _ in NewOperation(tenantID: 1, kind: "demo.noop", input: .emptyObject) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let outcome = try await batcher.create(operations[0], write: write)
                guard case .created(let record) = outcome, record.id == operations[0].id else {
                    throw TestSupportError("the first create did not get its own operation")
                }
            }
            for await _ in firstWriteStarted { break }
            for operation in operations.dropFirst() {
                group.addTask {
                    guard case .created(let record) = try await batcher.create(operation, write: write),
                        record.id == operation.id
                    else { throw TestSupportError("a create did not get its own operation") }
                }
            }
            // Every later create is waiting once the batcher holds ten of them.
            while batcher.waitingCount < 10 { try await Task.sleep(for: .milliseconds(1)) }
            releaser.yield()
            try await group.waitForAll()
        }
        let written = batches.withLock { $0 }
        #expect(written.count == 2)
        #expect(written.first == [operations[0].id])
        #expect(Set(written.last ?? []) == Set(operations.dropFirst().map(\.id)))
    }

    private static func record(of new: NewOperation) -> OperationRecord {
        OperationRecord(
            id: new.id, tenantID: new.tenantID, kind: new.kind, queue: new.queue, priority: new.priority,
            status: .pending, input: new.input, metadata: new.metadata, result: nil, error: nil, progress: nil,
            message: nil, attempt: 0, maxAttempts: new.maxAttempts, createdAt: Date(), updatedAt: Date(),
            startedAt: nil, finishedAt: nil, estimatedCompletion: nil, runAt: Date(), deadline: nil,
            callbackURL: nil, ouro: OuroContext(), lease: nil, checkpoint: nil, idempotency: nil)
    }
}
