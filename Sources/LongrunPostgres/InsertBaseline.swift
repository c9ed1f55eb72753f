import Foundation
import Logging
import LongrunCore
import PostgresNIO

/// The raw limit the API's create is measured against: single-row INSERTs of an
/// operation row, one statement per transaction, from `connections` concurrent
/// connections, for `duration`. Benchmarks only; nothing in the service uses it.
public enum InsertBaseline {
    /// Returns how many rows were inserted. With `notifying`, each INSERT's statement
    /// also sends a NOTIFY in its transaction (what a naive queue does on every enqueue),
    /// so the pair of runs shows what notifications cost PostgreSQL.
    public static func run(
        store: PostgresStore, tenantID: Int64, connections: Int, duration: Duration, notifying: Bool = false
    )
        async throws -> Int
    {
        let (client, logger) = (store.client, store.logger)
        let deadline = ContinuousClock.now + duration
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    try await client.withConnection { connection in
                        var inserted = 0
                        while ContinuousClock.now < deadline {
                            if notifying {
                                try await connection.query(
                                    """
                                    WITH inserted AS (
                                        INSERT INTO operations (id, tenant_id, kind, input)
                                        VALUES (\(OperationID.make()), \(tenantID), 'demo.noop', \(JSONValue.emptyObject))
                                        RETURNING id)
                                    SELECT pg_notify('longrun_bench', id::text) FROM inserted
                                    """,
                                    logger: logger
                                )
                            } else {
                                try await connection.query(
                                    """
                                    INSERT INTO operations (id, tenant_id, kind, input)
                                    VALUES (\(OperationID.make()), \(tenantID), 'demo.noop', \(JSONValue.emptyObject))
                                    """,
                                    logger: logger
                                )
                            }
                            inserted += 1
                        }
                        return inserted
                    }
                }
            }
            return try await group.reduce(0, +)
        }
    }
}
