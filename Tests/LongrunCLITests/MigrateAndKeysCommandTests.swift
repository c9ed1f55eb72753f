import Foundation
import LongrunCore
import LongrunPostgres
import LongrunTesting
import Subprocess
import Testing

@Suite struct MigrateAndKeysCommandTests {
    /// Runs `longrun` to completion and returns its exit code and output.
    func longrun(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
        let result = try await Subprocess.run(
            .path(.init(try LongrunExecutable.path)),
            arguments: .init(arguments),
            environment: LongrunExecutable.environment(environment),
            output: .string(limit: 1 << 20),
            error: .combinedWithOutput
        )
        guard case .exited(let code) = result.terminationStatus else {
            throw TestSupportError("longrun \(arguments) was killed: \(result.terminationStatus)")
        }
        return (code, result.standardOutput)
    }

    @Test func fourConcurrentMigrateProcessesApplyEachMigrationOnce() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let outputs = try await withThrowingTaskGroup(of: (Int32, String).self) { group in
                for _ in 0..<4 {
                    group.addTask { try await longrun(["migrate"], environment: ["DATABASE_URL": database.url]) }
                }
                return try await group.reduce(into: [(Int32, String)]()) { $0.append($1) }
            }
            #expect(outputs.allSatisfy { $0.0 == 0 }, "\(outputs)")
            let appliers = outputs.filter { $0.1.contains("applied 0001_schema_migrations.sql") }
            #expect(appliers.count == 1, "\(outputs)")
            #expect(outputs.filter { $0.1.contains("schema is up to date") }.count == 3, "\(outputs)")
            let count = try await database.count("SELECT count(*) FROM schema_migrations")
            #expect(count == (try Migration.bundled().count))
        }
    }

    @Test func migrateWithoutADatabaseSaysWhatToSet() async throws {
        let (code, output) = try await longrun(["migrate"])
        #expect(code != 0)
        #expect(output.contains("DATABASE_URL"))
    }

    @Test func keysCreatePrintsTheKeyOnceAndStoresOnlyItsHash() async throws {
        try await TestDatabase.with { database in
            let (code, output) = try await longrun(
                ["keys", "create", "--tenant", "acme", "--json"], environment: ["DATABASE_URL": database.url]
            )
            #expect(code == 0, "\(output)")
            let issued = try JSONDecoder().decode([String: String].self, from: Data(output.utf8))
            #expect(issued["tenant"] == "acme")
            let key = APIKey(text: try #require(issued["api_key"]))
            let secret = try #require(issued["webhook_secret"].flatMap(WebhookSecret.init))

            let tenant = try await database.withStore { store in try await store.tenant(authenticatedBy: key) }
            #expect(tenant?.name == "acme")
            #expect(tenant?.webhookSecret == secret)
            let stored = try await database.rows("SELECT key_hash FROM api_keys").map { try $0.decode(Data.self) }
            #expect(stored == [Data(key.hash)])
            let leaked = try await database.count(
                "SELECT count(*) FROM api_keys k WHERE strpos(row_to_json(k)::text, \(key.text)) > 0"
            )
            #expect(leaked == 0)

            // A second key for the same tenant: two lines, a new key, the same webhook secret.
            let (again, lines) = try await longrun(
                ["keys", "create", "--tenant", "acme"], environment: ["DATABASE_URL": database.url]
            )
            #expect(again == 0)
            let fields = lines.split(separator: "\n")
            #expect(fields.count == 2)
            #expect(fields[0].hasPrefix("api_key: lr_") && !fields[0].contains(key.text))
            #expect(fields[1] == "webhook_secret: \(secret.text)")
            #expect(try await database.count("SELECT count(*) FROM api_keys") == 2)
            #expect(try await database.count("SELECT count(*) FROM tenants") == 1)
        }
    }

    @Test(arguments: [["keys", "create"], ["keys", "create", "--tenant", ""]])
    func keysCreateRefusesAMissingOrEmptyTenant(arguments: [String]) async throws {
        let (code, output) = try await longrun(
            arguments, environment: ["DATABASE_URL": "postgres://unused@127.0.0.1:1/x"])
        #expect(code != 0)
        #expect(output.contains("--tenant"))
    }

    @Test(arguments: [
        (["worker", "--database-pool-size", "0"], "--database-pool-size"),
        (["api", "--database-pool-size", "1001"], "--database-pool-size"),
        (["api", "--database-connection-wait", "50ms"], "--database-connection-wait"),
        (["notifier", "--database-connection-wait", "31s"], "--database-connection-wait"),
        (["worker", "--database-connection-wait", "soon"], "--database-connection-wait"),
        (["notifier", "--metrics-port", "70000"], "metrics port"),
        (["worker", "--metrics-port=-1"], "metrics port"),
        (["api", "--notifications", "push"], "--notifications"),
        (
            ["notifier", "--notifications", "poll", "--notification-poll-interval", "5ms"],
            "--notification-poll-interval"
        ),
    ])
    func processFlagsOutOfRangeAreRefusedBeforeAnythingStarts(arguments: [String], named: String) async throws {
        let (code, output) = try await longrun(
            arguments, environment: ["DATABASE_URL": "postgres://unused@127.0.0.1:1/x"])
        #expect(code != 0)
        #expect(output.contains(named), "\(output)")
    }
}
