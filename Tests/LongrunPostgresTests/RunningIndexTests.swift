import Foundation
import LongrunCore
import LongrunTesting
import PostgresNIO
import Testing

@testable import LongrunPostgres

/// Heartbeats and the rescuer find running operations through `operations_running`
/// (sql/0007), never by reading the finished ones, however many there are.
@Suite struct RunningIndexTests {
    @Test func heartbeatsAndTheRescuerReadRunningRowsThroughTheirIndex() async throws {
        try await TestDatabase.with { database in
            let workerID = UUID()
            let tokens = try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                try await BenchmarkFixtures.prefillFinished(
                    store: store, tenantID: tenant.id, kind: "demo.noop", count: 20_000)
                for _ in 0..<5 {
                    _ = try await store.create(
                        NewOperation(tenantID: tenant.id, kind: "demo.noop", input: .emptyObject))
                }
                let claimed = try await store.claim(
                    ClaimRequest(
                        workerID: workerID, slots: 5, queues: ["default"], kinds: ["demo.noop"], lease: .seconds(30)))
                return claimed.map(\.leaseToken)
            }
            #expect(tokens.count == 5)
            _ = try await database.rows("ANALYZE operations")

            let beat = Heartbeat(workerID: workerID, leaseTokens: tokens, leaseMilliseconds: 30_000)
            let heartbeatPlan = try await plan(
                of: PostgresQuery(unsafeSQL: Heartbeat.sql, binds: beat.makeBindings()), in: database)
            #expect(heartbeatPlan.contains("operations_running"), "\(heartbeatPlan)")
            #expect(!heartbeatPlan.contains("Seq Scan on operations"), "\(heartbeatPlan)")

            // The rows the rescuer selects (PostgresStore.rescueExpiredLeases).
            let rescuePlan = try await plan(
                of: """
                    SELECT id FROM operations
                    WHERE status = 'running' AND lease_expires_at < now()
                    ORDER BY lease_expires_at LIMIT 100 FOR UPDATE SKIP LOCKED
                    """,
                in: database)
            #expect(rescuePlan.contains("operations_running"), "\(rescuePlan)")
            #expect(!rescuePlan.contains("Seq Scan on operations"), "\(rescuePlan)")
        }
    }

    private func plan(of query: PostgresQuery, in database: TestDatabase) async throws -> String {
        let explain = PostgresQuery(unsafeSQL: "EXPLAIN " + query.sql, binds: query.binds)
        return try await database.rows(explain).map { try $0.decode(String.self) }.joined(separator: "\n")
    }
}
