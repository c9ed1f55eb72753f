import Foundation
import LongrunCore
import LongrunPostgres
import LongrunTesting
import PostgresNIO
import Testing

/// The worker's side of the store beyond the claim: heartbeats, progress, retries,
/// releases, rescue, leadership, pruning and notifications, on a real PostgreSQL.
@Suite struct WorkerStoreTests {
    let workerID = UUID()

    func claimOne(_ store: PostgresStore, lease: Duration = .seconds(30)) async throws -> ClaimedOperation {
        try #require(
            try await store.claim(
                ClaimRequest(workerID: workerID, slots: 1, queues: ["default"], kinds: ["demo.sleep"], lease: lease)
            ).first)
    }

    func make(
        _ store: PostgresStore, tenant: Tenant, maxAttempts: Int = 3, callback: String? = nil
    ) async throws -> UUID {
        try await store.create(
            NewOperation(
                tenantID: tenant.id, kind: "demo.sleep", input: .emptyObject, maxAttempts: maxAttempts,
                callbackURL: callback)
        ).id
    }

    func worker(_ id: UUID) -> WorkerRecord {
        WorkerRecord(
            id: id, host: "test", pid: 1, queues: ["default"], concurrency: 2, startedAt: Date(),
            lastHeartbeatAt: Date(timeIntervalSinceNow: -3600))
    }

    @Test func aHeartbeatExtendsTheLeasesStillHeldAndReportsTheLostOnes() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                try await store.registerWorker(worker(workerID))
                let kept = try await make(store, tenant: tenant)
                let cancelled = try await make(store, tenant: tenant)
                let first = try await claimOne(store, lease: .seconds(5))
                let second = try await claimOne(store, lease: .seconds(5))
                #expect(first.id == kept && second.id == cancelled)
                _ = try await store.cancelOperation(id: cancelled, tenantID: tenant.id)

                let held = try await store.heartbeat(
                    workerID: workerID, leaseTokens: [first.leaseToken, second.leaseToken], lease: .seconds(600))
                #expect(held == [first.leaseToken])
                let lease = try #require(try await store.operation(id: kept, tenantID: tenant.id)?.lease)
                #expect(lease.expiresAt > Date(timeIntervalSinceNow: 500))
                let beat = try #require(try await store.worker(id: workerID))
                #expect(beat.lastHeartbeatAt > Date(timeIntervalSinceNow: -60))
                // Another worker's token is not this worker's to extend.
                #expect(
                    try await store.heartbeat(workerID: UUID(), leaseTokens: [first.leaseToken], lease: .seconds(1))
                        .isEmpty)
            }
        }
    }

    /// A heartbeat that waited for a row lock deadlocked with its worker's own batch of
    /// endings. It now leaves a locked row for the next beat and still counts it held.
    @Test func aHeartbeatDoesNotWaitForARowAnotherStatementHolds() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                try await store.registerWorker(worker(workerID))
                let lockedID = try await make(store, tenant: tenant)
                let freeID = try await make(store, tenant: tenant)
                let locked = try await claimOne(store, lease: .seconds(60))
                let free = try await claimOne(store, lease: .seconds(60))
                #expect(locked.id == lockedID && free.id == freeID)
                let holding = Task {
                    try await database.rows(
                        "SELECT pg_sleep(60) FROM (SELECT id FROM operations WHERE id = \(lockedID) FOR UPDATE) AS held"
                    )
                }
                defer { holding.cancel() }
                let sleeping: PostgresQuery = """
                    SELECT count(*) FROM pg_stat_activity
                    WHERE wait_event = 'PgSleep' AND query LIKE '%pg_sleep(60)%'
                    """
                while try await database.count(sleeping) == 0 { try await Task.sleep(for: .milliseconds(20)) }

                let held = try await store.heartbeat(
                    workerID: workerID, leaseTokens: [locked.leaseToken, free.leaseToken], lease: .seconds(600))
                #expect(held == [locked.leaseToken, free.leaseToken])
                #expect(try await database.count(sleeping) == 1, "the heartbeat answered while the row was locked")
                let extended = try await store.operation(id: freeID, tenantID: tenant.id)?.lease?.expiresAt
                let kept = try await store.operation(id: lockedID, tenantID: tenant.id)?.lease?.expiresAt
                #expect(try #require(extended) > Date(timeIntervalSinceNow: 500))
                #expect(try #require(kept) < Date(timeIntervalSinceNow: 61))
                _ = try await database.rows(
                    "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()"
                )
            }
        }
    }

    @Test func progressLogsAndCheckpointsLandOnlyWhileTheLeaseHolds() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let id = try await make(store, tenant: tenant)
                let claimed = try await claimOne(store)
                let estimate = Date(timeIntervalSince1970: 1_900_000_000)
                let lost = try await store.record([
                    ProgressReport(
                        operationID: id, leaseToken: claimed.leaseToken, progress: 40, message: "step 2/5",
                        estimatedCompletion: estimate, checkpoint: .object(["step": .integer(2)]),
                        logs: [.init(.info, "step 1/5"), .init(.warning, "slow disk"), .init(.info, "step 2/5")]),
                    ProgressReport(operationID: UUID(), leaseToken: UUID(), progress: 10),
                ])
                #expect(lost.count == 1 && !lost.contains(claimed.leaseToken))
                let running = try #require(try await store.operation(id: id, tenantID: tenant.id))
                #expect(running.progress == 40 && running.message == "step 2/5")
                #expect(running.estimatedCompletion == estimate)
                #expect(try await store.logs(operationID: id).map(\.message) == ["step 1/5", "slow disk", "step 2/5"])

                // Values not reported stay as they were.
                _ = try await store.record([
                    ProgressReport(operationID: id, leaseToken: claimed.leaseToken, progress: 60)
                ])
                let later = try #require(try await store.operation(id: id, tenantID: tenant.id))
                #expect(later.progress == 60 && later.message == "step 2/5")

                // A stale token writes nothing, not even its log lines.
                let stale = try await store.record([
                    ProgressReport(operationID: id, leaseToken: UUID(), progress: 99, logs: [.init(.info, "ghost")])
                ])
                #expect(stale.count == 1)
                #expect(try await store.operation(id: id, tenantID: tenant.id)?.progress == 60)
                #expect(try await store.logs(operationID: id).count == 3)

                // The checkpoint is what the next attempt starts from.
                #expect(try await store.release(id: id, leaseToken: claimed.leaseToken))
                #expect(try await claimOne(store).checkpoint == .object(["step": .integer(2)]))
            }
        }
    }

    @Test func aRetryGoesBackToPendingAfterTheDelayAndLogsWhy() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let id = try await make(store, tenant: tenant, callback: "https://example.com/h")
                let claimed = try await claimOne(store)
                #expect(try await store.retry(id: id, leaseToken: UUID(), reason: "x", after: .zero) == false)
                #expect(
                    try await store.retry(id: id, leaseToken: claimed.leaseToken, reason: "busy", after: .seconds(60)))
                let pending = try #require(try await store.operation(id: id, tenantID: tenant.id))
                #expect(pending.status == .pending && pending.lease == nil && pending.attempt == 1)
                #expect(pending.error == nil && pending.finishedAt == nil)
                let logs = try await store.logs(operationID: id)
                #expect(logs.map(\.level) == [.warning] && logs[0].message.hasPrefix("busy"))
                // Not due for a minute, and no webhook for a non-terminal change.
                #expect(
                    try await store.claim(
                        ClaimRequest(
                            workerID: workerID, slots: 1, queues: ["default"], kinds: ["demo.sleep"], lease: .seconds(1)
                        )
                    ).isEmpty)
                #expect(try await store.deliveries(operationID: id).isEmpty)
                // The retry is fenced too: the old token cannot finish it.
                #expect(try await store.complete(id: id, leaseToken: claimed.leaseToken, result: .null) == false)
            }
        }
    }

    @Test func oneStatementTakesAWholeBatchOfDeparturesEachFencedByItsOwnToken() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                var ids: [UUID] = []
                for _ in 0..<5 { ids.append(try await make(store, tenant: tenant, callback: "https://example.com/h")) }
                var claimed: [ClaimedOperation] = []
                for _ in 0..<5 { claimed.append(try await claimOne(store)) }
                #expect(claimed.map(\.id) == ids)
                let error = OperationError(code: .handlerError, message: "bad input file")
                let took = try await store.leave([
                    Departure(id: ids[0], leaseToken: claimed[0].leaseToken, outcome: .succeeded(.null)),
                    Departure(id: ids[1], leaseToken: claimed[1].leaseToken, outcome: .failed(error)),
                    Departure(
                        id: ids[2], leaseToken: claimed[2].leaseToken,
                        outcome: .retry(reason: "busy", delay: .seconds(5))),
                    Departure(id: ids[3], leaseToken: claimed[3].leaseToken, outcome: .release),
                    Departure(id: ids[4], leaseToken: UUID(), outcome: .succeeded(.emptyObject)),
                ])
                #expect(took == Set(ids.prefix(4)))
                let after = try await ids.asyncMap {
                    try #require(try await store.operation(id: $0, tenantID: tenant.id))
                }
                #expect(after.map(\.status) == [.succeeded, .failed, .pending, .pending, .running])
                // A JSON null is a result like any other.
                #expect(after[0].result == .null && after[0].progress == 100)
                #expect(after[1].error == error)
                // Due again 5 s after the statement (both times are the statement's `now()`).
                #expect(after[2].attempt == 1 && abs(after[2].runAt.timeIntervalSince(after[2].updatedAt) - 5) < 0.01)
                #expect(after[3].attempt == 0 && after[3].runAt <= Date())
                // Webhooks only for the two that finished.
                for (index, expected) in [1, 1, 0, 0, 0].enumerated() {
                    #expect(try await store.deliveries(operationID: ids[index]).count == expected)
                }
                #expect(try await store.logs(operationID: ids[1]).map(\.message) == ["bad input file"])
            }
        }
    }

    /// PostgreSQL cannot store U+0000 in text or jsonb. The API refuses it in requests; a
    /// handler's result, error, message or log line holding one is stored with U+FFFD in
    /// its place, rather than failing its batch (and every other ending in it) for ever.
    @Test func aNulCharacterFromAHandlerIsStoredReplacedAndSpoilsNoBatch() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let first = try await make(store, tenant: tenant)
                let second = try await make(store, tenant: tenant)
                let claimedFirst = try await claimOne(store)
                let claimedSecond = try await claimOne(store)
                let held = try await store.record([
                    ProgressReport(
                        operationID: first, leaseToken: claimedFirst.leaseToken, progress: 5, message: "a\u{0}b",
                        checkpoint: .object(["k\u{0}": .string("v\u{0}")]), logs: [.init(.info, "line\u{0}")])
                ])
                #expect(held.isEmpty)
                let error = OperationError(code: .handlerError, message: "bad\u{0}")
                let took = try await store.leave([
                    Departure(
                        id: first, leaseToken: claimedFirst.leaseToken,
                        outcome: .succeeded(.object(["out": .string("x\u{0}y")]))),
                    Departure(id: second, leaseToken: claimedSecond.leaseToken, outcome: .failed(error)),
                ])
                #expect(took == [first, second])
                let done = try #require(try await store.operation(id: first, tenantID: tenant.id))
                #expect(done.result == .object(["out": .string("x\u{FFFD}y")]) && done.message == "a\u{FFFD}b")
                #expect(try await store.logs(operationID: first).map(\.message) == ["line\u{FFFD}"])
                let failed = try #require(try await store.operation(id: second, tenantID: tenant.id))
                #expect(failed.status == .failed && failed.error?.message == "bad\u{FFFD}")
            }
        }
    }

    @Test func aReleaseGivesTheOperationBackAtOnceWithoutSpendingTheAttempt() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let id = try await make(store, tenant: tenant)
                let claimed = try await claimOne(store)
                #expect(claimed.attempt == 1)
                #expect(try await store.release(id: id, leaseToken: claimed.leaseToken))
                #expect(try await store.release(id: id, leaseToken: claimed.leaseToken) == false)
                let again = try await claimOne(store)
                #expect(again.id == id && again.attempt == 1 && again.leaseToken != claimed.leaseToken)
            }
        }
    }

    @Test func rescueReturnsExpiredLeasesOrFailsThemWhenAttemptsAreSpent() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let retried = try await make(store, tenant: tenant, maxAttempts: 2)
                let spent = try await make(store, tenant: tenant, maxAttempts: 1, callback: "https://example.com/h")
                let live = try await make(store, tenant: tenant)
                let first = try await claimOne(store)
                let second = try await claimOne(store)
                _ = try await claimOne(store)
                _ = try await database.rows(
                    """
                    UPDATE operations SET lease_expires_at = now() - interval '1 second'
                    WHERE id IN (\(retried), \(spent))
                    """)

                let report = try await store.rescueExpiredLeases(limit: 100)
                #expect(report.retried == ["demo.sleep": 1] && report.failed == ["demo.sleep": 1])
                let back = try #require(try await store.operation(id: retried, tenantID: tenant.id))
                #expect(back.status == .pending && back.lease == nil && back.attempt == 1)
                let lost = try #require(try await store.operation(id: spent, tenantID: tenant.id))
                #expect(lost.status == .failed && lost.error?.code == .workerLost && lost.finishedAt != nil)
                #expect(try await store.deliveries(operationID: spent).map(\.format) == [.standard])
                #expect(try await store.logs(operationID: retried).map(\.level) == [.warning])
                #expect(try await store.operation(id: live, tenantID: tenant.id)?.status == .running)
                #expect(try await store.rescueExpiredLeases(limit: 100).total == 0)

                // The workers that lost them can no longer write anything.
                #expect(try await store.complete(id: retried, leaseToken: first.leaseToken, result: .null) == false)
                #expect(
                    try await store.fail(
                        id: spent, leaseToken: second.leaseToken, error: .init(code: .handlerError, message: "late"))
                        == false)
                #expect(
                    try await store.record([
                        ProgressReport(operationID: retried, leaseToken: first.leaseToken, progress: 5)
                    ]) == [first.leaseToken])
                #expect(
                    try await store.heartbeat(workerID: workerID, leaseTokens: [first.leaseToken], lease: .seconds(30))
                        .isEmpty)
            }
        }
    }

    @Test func pendingOperationsPastTheirDeadlineFailWithoutStarting() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let overdue = try await store.create(
                    NewOperation(
                        tenantID: tenant.id, kind: "demo.sleep", input: .emptyObject,
                        deadline: Date(timeIntervalSinceNow: -1), callbackURL: "https://example.com/h")
                ).id
                let inTime = try await store.create(
                    NewOperation(
                        tenantID: tenant.id, kind: "demo.sleep", input: .emptyObject,
                        deadline: Date(timeIntervalSinceNow: 600))
                ).id
                // The claim passes the overdue one by.
                #expect(try await claimOne(store).id == inTime)
                #expect(try await store.expireOverdue(limit: 10) == ["demo.sleep": 1])
                let failed = try #require(try await store.operation(id: overdue, tenantID: tenant.id))
                #expect(failed.status == .failed && failed.error?.code == .deadlineExceeded && failed.startedAt == nil)
                #expect(try await store.deliveries(operationID: overdue).count == 1)
                #expect(try await store.expireOverdue(limit: 10).isEmpty)
            }
        }
    }

    @Test func oneProcessLeadsAtATimeAndTheNextTakesOverWhenItsSessionEnds() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { leaderStore in
                try await database.withStore { otherStore in
                    let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
                    let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
                    try await withThrowingTaskGroup(of: Bool.self) { group throws -> Void in
                        group.addTask {
                            try await leaderStore.whileLeading(.maintenance) {
                                enteredContinuation.yield()
                                for await _ in release { break }
                            }
                        }
                        for await _ in entered { break }
                        #expect(try await otherStore.whileLeading(.maintenance) {} == false)
                        releaseContinuation.yield()
                        #expect(try await group.next() == true)
                        #expect(try await otherStore.whileLeading(.maintenance) {} == true)
                    }
                    // A leader whose work fails gives the lock back too; its pooled
                    // connection must not keep it.
                    struct PruningFailed: Error {}
                    await #expect(throws: PruningFailed.self) {
                        try await leaderStore.whileLeading(.maintenance) { throw PruningFailed() }
                    }
                    #expect(try await otherStore.whileLeading(.maintenance) {} == true)
                    #expect(
                        try await database.count(
                            """
                            SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                            WHERE l.locktype = 'advisory' AND d.datname = current_database()
                            """) == 0)
                }
            }
        }
    }

    @Test func pruningRemovesOnlyWhatTheRetentionNoLongerKeeps() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let old = try await make(store, tenant: tenant, callback: "https://example.com/h")
                let recent = try await make(store, tenant: tenant)
                let waiting = try await make(store, tenant: tenant)
                for id in [old, recent] {
                    _ = try await store.cancelOperation(id: id, tenantID: tenant.id)
                }
                _ = try await store.appendLog(operationID: old, level: .info, message: "old line")
                _ = try await database.rows(
                    """
                    UPDATE operations SET finished_at = now() - interval '40 days', created_at = now() - interval '41 days'
                    WHERE id = \(old)
                    """)
                _ = try await database.rows(
                    "UPDATE operations SET created_at = now() - interval '40 days' WHERE id = \(waiting)")
                let keyed = try await store.create(
                    NewOperation(
                        tenantID: tenant.id, kind: "demo.sleep", input: .emptyObject,
                        idempotency: IdempotencyRecord(
                            key: "k1", fingerprint: [1], expiresAt: Date(timeIntervalSinceNow: -1))
                    )
                ).id
                try await store.registerWorker(worker(workerID))
                _ = try await database.rows(
                    "UPDATE workers SET last_heartbeat_at = now() - interval '40 days' WHERE id = \(workerID)")

                let report = try await store.prune(PrunePolicy(retention: .seconds(30 * 86400), batchSize: 10))
                #expect(report == PruneReport(operations: 1, idempotencyKeys: 1, workers: 1))
                #expect(try await store.operation(id: old, tenantID: tenant.id) == nil)
                #expect(
                    try await database.count("SELECT count(*) FROM operation_logs WHERE operation_id = \(old)") == 0)
                #expect(
                    try await database.count("SELECT count(*) FROM webhook_deliveries WHERE operation_id = \(old)") == 0
                )
                #expect(try await store.operation(id: recent, tenantID: tenant.id) != nil)
                #expect(try await store.operation(id: waiting, tenantID: tenant.id)?.status == .pending)
                #expect(
                    try await database.count(
                        "SELECT count(*) FROM operations WHERE id = \(keyed) AND idempotency_key IS NULL") == 1)
                #expect(try await store.prune(PrunePolicy(retention: .seconds(30 * 86400))) == PruneReport())
            }
        }
    }

    /// `changed` goes out only while an API node keeps it announced; the other channels
    /// always. Each channel is read by a task of its own, so two channels may interleave
    /// either way, but one channel's notifications arrive in the order they were sent: a
    /// later `changed` proves a skipped one is not just late.
    @Test func changesAreAnnouncedOnlyWhileAnAPINodeKeepsThemAnnounced() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                try await store.migrate()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await store.publisher.run() }
                    defer { group.cancelAll() }
                    try await store.withNotifications(on: [.work, .changed]) { notifications in
                        var iterator = notifications.makeAsyncIterator()
                        #expect(await iterator.next() == .subscribed)
                        store.publisher.announce(["unwatched"], on: .changed)
                        store.publisher.announce(["q1"], on: .work)
                        #expect(await iterator.next() == .received(.work, ["q1"]))

                        try await store.keepChangesAnnounced(for: .seconds(30))
                        // A shorter renewal never cuts a longer one short.
                        try await store.keepChangesAnnounced(for: .milliseconds(1))
                        #expect(
                            try await database.count(
                                "SELECT count(*) FROM change_feed WHERE watched_until > now() + interval '25 seconds'")
                                == 1)
                        store.publisher.announce(["watched"], on: .changed)
                        store.publisher.announce(["q2"], on: .work)
                        // "unwatched", had it gone out, would come before "watched".
                        let both = [await iterator.next(), await iterator.next()]
                        #expect(both.contains(.received(.changed, ["watched"])), "\(both)")
                        #expect(both.contains(.received(.work, ["q2"])), "\(both)")

                        _ = try await database.rows(
                            "UPDATE change_feed SET watched_until = now() - interval '1 second'")
                        store.publisher.announce(["lapsed"], on: .changed)
                        store.publisher.announce(["q3"], on: .work)
                        #expect(await iterator.next() == .received(.work, ["q3"]))
                        // "lapsed", had it gone out, would come before "renewed".
                        try await store.keepChangesAnnounced(for: .seconds(30))
                        store.publisher.announce(["renewed"], on: .changed)
                        #expect(await iterator.next() == .received(.changed, ["renewed"]))
                    }
                }
            }
        }
    }

    @Test func notificationsArriveAfterSubscribingAndTheDeliveryIdsSortByTime() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                try await store.withNotifications(on: [.work, .cancel]) { notifications in
                    var iterator = notifications.makeAsyncIterator()
                    #expect(await iterator.next() == .subscribed)
                    _ = try await database.rows("SELECT pg_notify('longrun_work', 'a,b')")
                    _ = try await database.rows("SELECT pg_notify('longrun_changed', 'ignored')")
                    _ = try await database.rows("SELECT pg_notify('longrun_cancel', 'x')")
                    // Two channels, read by a task each: either may come first.
                    let both = [await iterator.next(), await iterator.next()]
                    #expect(both.contains(.received(.work, ["a", "b"])), "\(both)")
                    #expect(both.contains(.received(.cancel, ["x"])), "\(both)")
                }
                let ids = try await database.rows("SELECT longrun_uuidv7() FROM generate_series(1, 3)").map {
                    try $0.decode(UUID.self)
                }
                #expect(ids.allSatisfy { $0.uuidString.dropFirst(14).hasPrefix("7") })
                let now = UInt64(Date().timeIntervalSince1970 * 1000)
                let stamp = UInt64(ids[0].uuidString.replacingOccurrences(of: "-", with: "").prefix(12), radix: 16) ?? 0
                #expect(stamp <= now && now - stamp < 60_000)
            }
        }
    }
}

extension Array where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
