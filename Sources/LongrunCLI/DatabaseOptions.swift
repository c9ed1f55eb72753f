import ArgumentParser

/// The database a command talks to.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (env: DATABASE_URL).")
    var databaseURL: String?

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
