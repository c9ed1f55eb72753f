import ArgumentParser

/// The database a command talks to.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (env: DATABASE_URL).")
    var databaseURL: String?

    @Option(
        help: "Pooled connections at most, besides one LISTEN per role (env: LONGRUN_DATABASE_POOL_SIZE; default 20).")
    var databasePoolSize: Int?

    /// The pool's bound: `max_connections` must cover it for every process, plus their LISTENs.
    func poolSize() throws -> Int {
        let size = try Setting.resolve(databasePoolSize, environment: "LONGRUN_DATABASE_POOL_SIZE", default: 20)
        guard (1...1000).contains(size) else { throw ValidationError("--database-pool-size must be 1 to 1000") }
        return size
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
