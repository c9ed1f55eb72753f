import Foundation
import Logging
import LongrunCore
import PostgresNIO

/// The raw limit the API's create is measured against: single-row INSERTs of an
/// operation row, one statement per transaction, from `connections` concurrent
/// connections, for `duration`. Benchmarks only; nothing in the service uses it.
public enum InsertBaseline {
    /// Returns how many rows were inserted.
    public static func run(
        store: PostgresStore, tenantID: Int64, connections: Int, duration: Duration
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
                            try await connection.query(
                                """
                                INSERT INTO operations (id, tenant_id, kind, input)
                                VALUES (\(OperationID.make()), \(tenantID), 'demo.noop', \(JSONValue.emptyObject))
                                """,
                                logger: logger
                            )
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
