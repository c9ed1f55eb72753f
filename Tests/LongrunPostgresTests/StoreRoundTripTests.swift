import Foundation
import LongrunCore
import LongrunPostgres
import LongrunTesting
import PostgresNIO
import Testing

@Suite struct StoreRoundTripTests {
    @Test func tenantsAreCreatedOnceWithAWebhookSecret() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let first = try await store.ensureTenant(named: "acme")
                let again = try await store.ensureTenant(named: "acme")
                let other = try await store.ensureTenant(named: "globex")
                #expect(again == first)
                #expect(first.webhookSecret.key.count == 32)
                #expect(other.id != first.id)
                #expect(other.webhookSecret != first.webhookSecret)
            }
        }
    }

    @Test func concurrentTenantCreationYieldsOneTenant() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenants = try await withThrowingTaskGroup(of: Tenant.self) { group in
                    for _ in 0..<8 { group.addTask { try await store.ensureTenant(named: "race") } }
                    return try await group.reduce(into: [Tenant]()) { $0.append($1) }
                }
                #expect(Set(tenants).count == 1)
            }
            #expect(try await database.count("SELECT count(*) FROM tenants") == 1)
        }
    }

    @Test func apiKeysAuthenticateAndAreStoredOnlyAsHashes() async throws {
        try await TestDatabase.with { database in
            let key = APIKey.generate()
            let tenant = try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                try await store.addAPIKey(key, tenantID: tenant.id)
                #expect(try await store.tenant(authenticatedBy: key) == tenant)
                #expect(try await store.tenant(authenticatedBy: APIKey.generate()) == nil)
                return tenant
            }
            let rows = try await database.rows("SELECT tenant_id, key_hash, key_prefix FROM api_keys")
            #expect(rows.count == 1)
            let (tenantID, hash, prefix) = try rows[0].decode((Int64, Data, String).self)
            #expect(tenantID == tenant.id)
            #expect([UInt8](hash) == key.hash)
            #expect(prefix == key.displayPrefix)
            // Nothing in the database holds the key itself.
            let dump = try await database.rows("SELECT row_to_json(k)::text FROM api_keys k")
            for row in dump { #expect(!(try row.decode(String.self)).contains(key.text)) }
        }
    }

    @Test func revokedKeysNoLongerAuthenticate() async throws {
        try await TestDatabase.with { database in
            let key = APIKey.generate()
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                try await store.addAPIKey(key, tenantID: tenant.id)
            }
            _ = try await database.rows("UPDATE api_keys SET revoked_at = now()")
            let found = try await database.withStore { store in try await store.tenant(authenticatedBy: key) }
            #expect(found == nil)
        }
    }

    @Test func operationsRoundTripEveryField() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let deadline = Date(timeIntervalSince1970: 1_900_000_000.5)
                let new = NewOperation(
                    tenantID: tenant.id,
                    kind: "demo.sleep",
                    input: .object(["seconds": .number(1.5), "steps": .integer(3)]),
                    metadata: .object(["client": .string("context")]),
                    queue: "reports",
                    priority: 7,
                    maxAttempts: 5,
                    deadline: deadline,
                    callbackURL: "https://example.com/hook",
                    ouro: OuroContext(
                        webhookURL: "https://ouro.example/hook", webhookToken: "tok", actionID: "act",
                        routeID: "route", routeOrgID: "org", routeTeamID: "team"
                    ),
                    idempotency: IdempotencyRecord(
                        key: "key-1", fingerprint: Array(repeating: 0xAB, count: 32), expiresAt: deadline
                    )
                )
                let stored = try await store.create(new)
                #expect(stored.id == new.id)
                #expect(stored.tenantID == tenant.id)
                #expect(stored.kind == new.kind)
                #expect(stored.input == new.input)
                #expect(stored.metadata == new.metadata)
                #expect(stored.queue == "reports")
                #expect(stored.priority == 7)
                #expect(stored.maxAttempts == 5)
                #expect(stored.deadline == deadline)
                #expect(stored.callbackURL == new.callbackURL)
                #expect(stored.ouro == new.ouro)
                #expect(stored.idempotency == new.idempotency)
                #expect(stored.status == .pending)
                #expect(!stored.done)
                #expect(stored.attempt == 0)
                #expect(stored.progress == nil && stored.result == nil && stored.error == nil)
                #expect(stored.lease == nil && stored.checkpoint == nil)
                #expect(stored.startedAt == nil && stored.finishedAt == nil)

                #expect(try await store.operation(id: new.id, tenantID: tenant.id) == stored)
                let other = try await store.ensureTenant(named: "globex")
                #expect(try await store.operation(id: new.id, tenantID: other.id) == nil)
                #expect(try await store.operation(id: UUID(), tenantID: tenant.id) == nil)
            }
        }
    }

    @Test func theSchemaRefusesStatesTheContractForbids() async throws {
        try await TestDatabase.with { database in
            let id = try await database.withStore { store in
                try await insertNoop(store).id
            }
            let forbidden: [PostgresQuery] = [
                "UPDATE operations SET status = 'succeeded', finished_at = now() WHERE id = \(id)",  // no result
                "UPDATE operations SET status = 'failed', finished_at = now() WHERE id = \(id)",  // no error
                "UPDATE operations SET status = 'running' WHERE id = \(id)",  // no lease
                "UPDATE operations SET status = 'paused' WHERE id = \(id)",
                "UPDATE operations SET progress = 101 WHERE id = \(id)",
                "UPDATE operations SET metadata = '[1]' WHERE id = \(id)",
                "UPDATE operations SET idempotency_key = 'k' WHERE id = \(id)",  // no fingerprint
            ]
            for statement in forbidden {
                await #expect(throws: PSQLError.self, "\(statement.sql)") { _ = try await database.rows(statement) }
            }
        }
    }

    @Test func logsKeepTheirOrder() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let operation = try await insertNoop(store)
                let first = try await store.appendLog(operationID: operation.id, level: .info, message: "step 1/2")
                let second = try await store.appendLog(operationID: operation.id, level: .warning, message: "slow disk")
                #expect(second.id > first.id)
                let logs = try await store.logs(operationID: operation.id)
                #expect(logs == [first, second])
                #expect(logs.map(\.level) == [.info, .warning])
                #expect(try await store.logs(operationID: operation.id, after: first.id) == [second])
                #expect(try await store.logs(operationID: UUID()).isEmpty)
            }
        }
    }

    @Test func deliveriesAndTheirAttemptsRoundTrip() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let operation = try await insertNoop(store)
                let log = try await store.appendLog(operationID: operation.id, level: .info, message: "hello")
                let standard = try await store.enqueueDelivery(
                    operationID: operation.id, format: .standard, url: "https://example.com/hook"
                )
                let forwarded = try await store.enqueueDelivery(
                    operationID: operation.id, format: .ouroLog, url: "https://ouro.example/actions/a/log",
                    logID: log.id
                )
                // Two tries through the notifier's claim and settle: a 503, then a refused connection.
                let failed = DeliveryAttempt(
                    number: 1, at: Date(timeIntervalSince1970: 1_800_000_000), responseStatus: 503,
                    responseExcerpt: "busy", error: nil, latencyMilliseconds: 12
                )
                let refused = DeliveryAttempt(
                    number: 2, at: Date(timeIntervalSince1970: 1_800_000_005), responseStatus: nil,
                    responseExcerpt: nil, error: "connection refused", latencyMilliseconds: 0
                )
                for attempt in [failed, refused] {
                    let claimed = try await store.claimDeliveries(limit: 10, formats: [.standard], hold: .seconds(60))
                    #expect(claimed.map(\.id) == [standard] && claimed.first?.attempt == attempt.number)
                    try await store.settleDeliveries([
                        DeliveryResult(
                            deliveryID: standard, attemptNumber: attempt.number, outcome: .retry(after: .zero),
                            attempt: attempt)
                    ])
                }

                let deliveries = try await store.deliveries(operationID: operation.id)
                #expect(deliveries.map(\.id) == [standard, forwarded])
                #expect(deliveries[0].format == .standard && deliveries[0].status == .pending)
                #expect(deliveries[0].url == "https://example.com/hook")
                #expect(deliveries[0].attempts == [failed, refused])
                #expect(deliveries[1].format == .ouroLog && deliveries[1].logID == log.id)
                #expect(deliveries[1].attempts.isEmpty)

                // A late answer to an attempt already superseded changes nothing.
                try await store.settleDeliveries([
                    DeliveryResult(deliveryID: standard, attemptNumber: 1, outcome: .delivered, attempt: failed)
                ])
                let after = try await store.deliveries(operationID: operation.id)[0]
                #expect(after.status == .pending && after.attempts == [failed, refused])
            }
        }
    }

    @Test func workersRoundTripAndRegisterAgain() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let start = Date(timeIntervalSince1970: 1_800_000_000)
                var worker = WorkerRecord(
                    id: UUID(), host: "node-1", pid: 4242, queues: ["default", "reports"], concurrency: 4,
                    startedAt: start, lastHeartbeatAt: start
                )
                try await store.registerWorker(worker)
                #expect(try await store.worker(id: worker.id) == worker)
                worker.pid = 4343
                worker.lastHeartbeatAt = start.addingTimeInterval(10)
                try await store.registerWorker(worker)
                #expect(try await store.worker(id: worker.id) == worker)
                #expect(try await store.worker(id: UUID()) == nil)
            }
        }
    }

    /// A `demo.noop` operation of the tenant `acme`, for tests about what hangs off it.
    func insertNoop(_ store: PostgresStore) async throws -> OperationRecord {
        let tenant = try await store.ensureTenant(named: "acme")
        return try await store.create(NewOperation(tenantID: tenant.id, kind: "demo.noop", input: .emptyObject))
    }
}
