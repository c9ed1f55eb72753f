import Foundation

/// A worker's two hot statements, the claim and the end of runs, as a pgbench script:
/// what PostgreSQL does with Longrun's schema and statements when the worker costs
/// nothing. Built from the very statements the store prepares, so it cannot drift from
/// them. Benchmarks only; nothing in the service uses it.
public enum StatementBaseline {
    /// The pgbench script: claim up to `:batch` pending `demo.noop` operations (one
    /// transaction), then end them all as succeeded (a second one), as one worker does.
    public static var pgbenchScript: String {
        let claim = bind(
            ClaimOperations.sql,
            [
                "$1": "'{default}'", "$2": "'{demo.noop}'", "$3": ":batch",
                "$4": "'00000000-0000-0000-0000-000000000001'", "$5": "30000",
            ])
        let leave = bind(LeaveRunning.sql, ["$1": ":departures"])
        // The claimed rows become the departures a worker would send: the same JSON
        // rows ``Departure`` writes for a success.
        return """
            WITH claimed AS (
            \(claim)
            )
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'id', id, 'token', lease_token, 'status', 'succeeded',
                       'result', jsonb_build_object('value', '{}'::jsonb), 'delay_ms', 0, 'refund', 0)), '[]')::text
                   AS departures
            FROM claimed
            \\gset
            \(leave);

            """
    }

    /// `sql` with each `$n` replaced by its pgbench text (every statement here binds fewer
    /// than ten values, so `$1` never stands inside `$10`).
    private static func bind(_ sql: String, _ values: [String: String]) -> String {
        values.reduce(sql) { text, value in text.replacingOccurrences(of: value.key, with: value.value) }
    }
}
