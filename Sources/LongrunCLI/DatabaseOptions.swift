import ArgumentParser
import LongrunPostgres

/// The database a command talks to.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (env: DATABASE_URL).")
    var databaseURL: String?

    @Option(
        help: "Pooled connections at most, besides one LISTEN per role (env: LONGRUN_DATABASE_POOL_SIZE; default 20).")
    var databasePoolSize: Int?

    @Option(
        help: """
            How long a statement waits for a pooled connection before the API answers 503 and loops try \
            again (env: LONGRUN_DATABASE_CONNECTION_WAIT; default 5s).
            """)
    var databaseConnectionWait: DurationFlag?

    /// The pool's bounds: `max_connections` must cover its size for every process, plus their LISTENs.
    func pool() throws -> PoolSettings {
        let size = try Setting.resolve(databasePoolSize, environment: "LONGRUN_DATABASE_POOL_SIZE", default: 20)
        guard (1...1000).contains(size) else { throw ValidationError("--database-pool-size must be 1 to 1000") }
        let wait = try Setting.resolve(
            databaseConnectionWait, environment: "LONGRUN_DATABASE_CONNECTION_WAIT",
            default: DurationFlag(duration: PoolSettings().connectionWait)
        ).duration
        // Past the statement deadline (30 s) a longer wait would never be reached.
        guard wait >= .milliseconds(100), wait <= PoolSettings.statementDeadline else {
            throw ValidationError("--database-connection-wait must be 100ms to 30s")
        }
        return PoolSettings(maximumConnections: size, connectionWait: wait)
    }

    /// The URL from the flag or `DATABASE_URL`, nil when neither is set.
    func resolvedURL() throws -> String? {
        try Setting.resolve(databaseURL, environment: "DATABASE_URL")
    }

    /// Like ``resolvedURL()``, for commands that cannot start a database of their own.
    func requiredURL() throws -> String {
        guard let url = try resolvedURL() else {
            throw ValidationError("set DATABASE_URL or --database-url (or use `longrun dev`, which starts its own)")
        }
        return url
    }
}
