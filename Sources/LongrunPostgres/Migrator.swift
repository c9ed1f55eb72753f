import Foundation
import Logging
import LongrunCore
import PostgresNIO

/// Applies the bundled migrations, each exactly once, however many processes run it at
/// the same moment.
///
/// Everything happens in one transaction that first takes a transaction-scoped advisory
/// lock: concurrent migrators queue on the lock, and the ones that come after the first
/// find nothing left to do. Either every pending migration is applied or none is.
public struct Migrator: Sendable {
    /// The advisory lock key, the ASCII of "longrun" read as one number; any process
    /// that wants to keep migrations out while it works can take the same lock.
    public static let advisoryLockKey: Int64 = 0x6C_6F6E_6772_756E

    public let migrations: [Migration]
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger, migrations: [Migration]? = nil) throws(LongrunError) {
        self.client = client
        self.logger = logger
        if let migrations {
            self.migrations = migrations
        } else {
            self.migrations = try Migration.bundled()
        }
    }

    /// Applies what is pending and returns the names applied (empty when up to date).
    @discardableResult
    public func migrate() async throws -> [String] {
        // Unbounded, unlike the store's statements: a migration may rightly take minutes.
        try await client.withConnection { connection in
            try await inUnwrappedTransaction(on: connection, logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))", logger: logger)
                let pending = try await pendingMigrations(on: connection)
                for migration in pending {
                    for statement in SQLStatements.split(migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        """
                        INSERT INTO schema_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(Data(migration.checksum)))
                        """,
                        logger: logger
                    )
                    logger.info("applied migration", metadata: ["longrun.migration": "\(migration.name)"])
                }
                return pending.map(\.name)
            }
        }
    }

    /// The migrations not yet applied, without applying anything (the dry run behind
    /// `/readyz`).
    public func pending() async throws -> [String] {
        try await client.withConnection { connection in
            try await pendingMigrations(on: connection).map(\.name)
        }
    }

    private func pendingMigrations(on connection: PostgresConnection) async throws -> [Migration] {
        let exists =
            try await connection.query(
                "SELECT to_regclass('schema_migrations') IS NOT NULL",
                logger: logger
            ).collect().first?.decode(Bool.self) ?? false
        guard exists else { return migrations }

        let rows = try await connection.query(
            "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
            logger: logger
        )
        var appliedCount = 0
        for try await (version, name, checksum) in rows.decode((Int, String, Data).self) {
            // Past this build's last migration: a newer build migrated. Migrations only
            // add, so this build still runs on the schema (old nodes keep serving while
            // a rollout replaces them).
            if appliedCount == migrations.count { break }
            guard migrations[appliedCount].version == version else {
                throw LongrunError(
                    .schemaMismatch,
                    "the database has migration \(version) (\(name)), which this build does not know in that place;"
                        + " run a build that has it"
                )
            }
            let known = migrations[appliedCount]
            guard known.name == name, Data(known.checksum) == checksum else {
                throw LongrunError(
                    .schemaMismatch,
                    "migration \(name) was changed after it was applied; add a new migration instead"
                )
            }
            appliedCount += 1
        }
        return Array(migrations.dropFirst(appliedCount))
    }
}

/// Runs `body` in a transaction on `connection` and rethrows the body's own error rather
/// than PostgresNIO's wrapper, so callers can switch on ``LongrunError`` codes. The
/// migrator and the store's transactions (``PostgresStore/withTransaction(_:)``) share it.
func inUnwrappedTransaction<Result: Sendable>(
    on connection: PostgresConnection,
    logger: Logger,
    _ body: (PostgresConnection) async throws -> Result
) async throws -> Result {
    do {
        return try await connection.withTransaction(logger: logger) { try await body($0) }
    } catch let error as PostgresTransactionError {
        throw error.closureError ?? error
    }
}
