import ArgumentParser
import Logging

struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "Run an API node.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var api: APIOptions

    func run() async throws {
        let logger = Logger(label: "longrun.api")
        try await Services.run(
            try Services.process(
                databaseURL: try database.requiredURL(), api: try api.configuration(), logger: logger),
            logger: logger
        )
    }
}
