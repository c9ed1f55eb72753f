import Foundation
import Logging
import LongrunCore
import PostgresNIO

/// Set-up and read-outs for benchmarks: many operations at once, and when a drain
/// started and ended by the database's own clock. Nothing in the service uses it.
public enum BenchmarkFixtures {
    /// Deletes every operation (and with them their logs and deliveries).
    public static func deleteAllOperations(store: PostgresStore) async throws {
        try await store.client.query("DELETE FROM operations", logger: store.logger)
    }

    /// Inserts `count` pending operations of `kind` in one statement, then vacuums and
    /// checkpoints so the drain that follows starts from a settled table.
    public static func prefill(store: PostgresStore, tenantID: Int64, kind: String, count: Int) async throws {
        try await insertPending(store: store, tenantID: tenantID, kind: kind, count: count)
        try await store.client.query("VACUUM (ANALYZE) operations", logger: store.logger)
        try await store.client.query("CHECKPOINT", logger: store.logger)
    }

    /// Inserts `count` pending operations of `kind` without settling the table: the
    /// refill between timed rounds of the scale benchmark.
    public static func insertPending(store: PostgresStore, tenantID: Int64, kind: String, count: Int) async throws {
        try await store.client.query(
            """
            INSERT INTO operations (id, tenant_id, kind, input)
            SELECT longrun_uuidv7(), \(tenantID), \(kind), '{}'::jsonb FROM generate_series(1, \(count))
            """,
            logger: store.logger
        )
    }

    /// Inserts `count` operations that succeeded a day ago, in batches of a million: the
    /// history a long-lived installation keeps until it is pruned.
    public static func prefillFinished(store: PostgresStore, tenantID: Int64, kind: String, count: Int) async throws {
        var left = count
        while left > 0 {
            let batch = min(left, 1_000_000)
            try await store.client.query(
                """
                INSERT INTO operations (id, tenant_id, kind, input, status, attempt, result, created_at,
                                        updated_at, started_at, finished_at)
                SELECT longrun_uuidv7(), \(tenantID), \(kind), '{}'::jsonb, 'succeeded', 1, '{}'::jsonb,
                       now() - interval '1 day', now() - interval '1 day', now() - interval '1 day',
                       now() - interval '1 day'
                FROM generate_series(1, \(batch))
                """,
                logger: store.logger
            )
            left -= batch
        }
        try await store.client.query("VACUUM (ANALYZE) operations", logger: store.logger)
        try await store.client.query("CHECKPOINT", logger: store.logger)
    }

    /// Inserts `count` cancelled operations, each owing one Standard Webhooks delivery to
    /// `url`, in one statement: a backlog for the notifier to drain.
    public static func prefillDeliveries(store: PostgresStore, tenantID: Int64, url: String, count: Int) async throws {
        try await store.client.query(
            """
            WITH finished AS (
                INSERT INTO operations (id, tenant_id, kind, input, status, error, finished_at, callback_url)
                SELECT longrun_uuidv7(), \(tenantID), 'demo.noop', '{}'::jsonb, 'cancelled',
                       '{"code": "cancelled", "message": "Cancelled by the benchmark.", "details": {}}'::jsonb, now(), \(url)
                FROM generate_series(1, \(count))
                RETURNING id, callback_url
            )
            INSERT INTO webhook_deliveries (operation_id, format, url)
            SELECT id, 'standard', callback_url FROM finished
            """,
            logger: store.logger
        )
        try await store.client.query("VACUUM (ANALYZE) webhook_deliveries", logger: store.logger)
    }

    /// Whether any operation is still pending or running: two probes of partial indexes,
    /// cheap enough to ask every few milliseconds without slowing what is measured.
    public static func hasUnfinished(store: PostgresStore) async throws -> Bool {
        try await store.client.query(
            """
            SELECT EXISTS (SELECT 1 FROM operations WHERE status = 'pending')
                OR EXISTS (SELECT 1 FROM operations WHERE status = 'running')
            """,
            logger: store.logger
        ).collect().first?.decode(Bool.self) ?? true
    }

    /// How many operations have succeeded.
    public static func succeeded(store: PostgresStore) async throws -> Int {
        try await store.client.query(
            "SELECT count(*) FROM operations WHERE status = 'succeeded'", logger: store.logger
        ).collect().first?.decode(Int.self) ?? 0
    }

    /// From the first claim to the last completion, by the database's clock.
    public static func drainSpan(store: PostgresStore) async throws -> Duration {
        let seconds =
            try await store.client.query(
                """
                SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8
                FROM operations WHERE status = 'succeeded'
                """,
                logger: store.logger
            ).collect().first?.decode(Double?.self) ?? nil
        return .milliseconds(Int64((seconds ?? 0) * 1000))
    }
}
