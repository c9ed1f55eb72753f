import Logging
import LongrunCore
import PostgresNIO

/// Runs `body` with a connection pool to `url` that lives exactly as long as the call:
/// for one-shot commands (`migrate`, `keys create`) and tests. Long-running processes
/// put the client in their ServiceGroup instead.
public func withPostgresClient<Result: Sendable>(
    url: String,
    logger: Logger,
    _ body: @Sendable (PostgresClient) async throws -> Result
) async throws -> Result {
    // The pool warns when the first lease can beat `run()` to the start, which here it
    // may, harmlessly (the lease waits); failures still reach the caller as errors.
    var backgroundLogger = logger
    backgroundLogger.logLevel = max(logger.logLevel, .error)
    let client = PostgresClient(
        configuration: try DatabaseURL(url).clientConfiguration, backgroundLogger: backgroundLogger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}

/// Runs `body` with a store on a pool to `url` that lives exactly as long as the call.
public func withPostgresStore<Result: Sendable>(
    url: String,
    logger: Logger,
    _ body: @Sendable (PostgresStore) async throws -> Result
) async throws -> Result {
    try await withPostgresClient(url: url, logger: logger) { client in
        try await body(try PostgresStore(client: client, url: try DatabaseURL(url), logger: logger))
    }
}
