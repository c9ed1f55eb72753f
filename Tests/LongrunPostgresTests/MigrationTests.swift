import Foundation
import Logging
import LongrunCore
import LongrunPostgres
import LongrunTesting
import PostgresNIO
import Testing

@Suite struct MigrationTests {
    @Test func theBundleHoldsEverySQLFileOfTheRepository() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let files = try FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("sql").path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        let bundled = try Migration.bundled()
        #expect(bundled.map(\.name) == files)
        #expect(bundled.map(\.version) == Array(1...files.count))
        for migration in bundled {
            let onDisk = try String(
                contentsOf: repository.appendingPathComponent("sql").appendingPathComponent(migration.name),
                encoding: .utf8
            )
            #expect(migration.sql == onDisk)
        }
    }

    @Test func migratesAnEmptyDatabaseAndThenDoesNothing() async throws {
        try await TestDatabase.with(migrated: false) { database in
            try await withPostgresClient(url: database.url, logger: database.logger) { client in
                let migrator = try Migrator(client: client, logger: database.logger)
                let all = migrator.migrations.map(\.name)
                #expect(try await migrator.pending() == all)
                #expect(try await migrator.migrate() == all)
                #expect(try await migrator.pending().isEmpty)
                #expect(try await migrator.migrate().isEmpty)
                let recorded = try await client.query("SELECT name FROM schema_migrations ORDER BY version")
                    .collect().map { try $0.decode(String.self) }
                #expect(recorded == all)
            }
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await withPostgresClient(url: database.url, logger: database.logger) { client in
                            try await Migrator(client: client, logger: database.logger).migrate()
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            let all = try Migration.bundled().map(\.name)
            #expect(applied.sorted() == all.sorted())
            let count = try await database.count("SELECT count(*) FROM schema_migrations")
            #expect(count == all.count)
        }
    }

    @Test func refusesADatabaseWhoseAppliedMigrationChanged() async throws {
        try await TestDatabase.with { database in
            try await withPostgresClient(url: database.url, logger: database.logger) { client in
                var edited = try Migration.bundled()
                edited[1].sql += "\n-- edited after it was applied\n"
                let migrator = try Migrator(client: client, logger: database.logger, migrations: edited)
                let error = await #expect(throws: LongrunError.self) { try await migrator.migrate() }
                #expect(error?.code == .schemaMismatch)
                #expect(error?.message.contains(edited[1].name) == true)
                await #expect(throws: LongrunError.self) { try await migrator.pending() }
            }
        }
    }

    @Test func anOlderBuildRunsOnADatabaseAheadOfIt() async throws {
        try await TestDatabase.with { database in
            try await withPostgresClient(url: database.url, logger: database.logger) { client in
                let older = Array(try Migration.bundled().dropLast())
                let migrator = try Migrator(client: client, logger: database.logger, migrations: older)
                #expect(try await migrator.pending().isEmpty)
                #expect(try await migrator.migrate().isEmpty)
            }
        }
    }

    @Test func refusesADatabaseThatTookAnotherPath() async throws {
        try await TestDatabase.with { database in
            try await withPostgresClient(url: database.url, logger: database.logger) { client in
                // A build whose second migration the database never saw, though it has as many.
                var other = try Migration.bundled()
                other[1] = Migration(version: other[1].version + 1000, name: "9999_elsewhere.sql", sql: "SELECT 1")
                let migrator = try Migrator(client: client, logger: database.logger, migrations: other)
                let error = await #expect(throws: LongrunError.self) { try await migrator.pending() }
                #expect(error?.code == .schemaMismatch)
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestDatabase.with(migrated: false) { database in
            try await withPostgresClient(url: database.url, logger: database.logger) { client in
                var broken = try Migration.bundled()
                broken[2].sql += "\nSELECT * FROM no_such_table;\n"
                let migrator = try Migrator(client: client, logger: database.logger, migrations: broken)
                await #expect(throws: (any Error).self) { try await migrator.migrate() }
                let tables = try await database.count(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                )
                #expect(tables == 0)
            }
        }
    }
}
