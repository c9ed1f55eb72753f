import ArgumentParser
import Logging

struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "Run an API node.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var notifications: NotificationOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var callbacks: CallbackOptions

    func run() async throws {
        let logger = Logger(label: "longrun.api")
        try await Services.run(
            try Services.process(
                databaseURL: try database.requiredURL(), pool: try database.pool(),
                notifications: try notifications.mode(),
                api: try api.configuration(callbacks: callbacks),
                logger: logger),
            logger: logger
        )
    }
}
