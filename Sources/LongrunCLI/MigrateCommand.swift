import ArgumentParser
import Logging
import LongrunPostgres

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending sql/ migrations, once, under an advisory lock."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = Logger(label: "longrun.migrate")
        let applied = try await withPostgresClient(url: try database.requiredURL(), logger: logger) { client in
            try await Migrator(client: client, logger: logger).migrate()
        }
        print(applied.isEmpty ? "schema is up to date" : "applied \(applied.joined(separator: ", "))")
    }
}
