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
        let applied = try await withPostgresStore(url: try database.requiredURL(), logger: logger) { store in
            try await store.migrate()
        }
        print(applied.isEmpty ? "schema is up to date" : "applied \(applied.joined(separator: ", "))")
    }
}
