import ArgumentParser
import Logging

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run a worker: claim operations and run their handlers.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var notifications: NotificationOptions
    @OptionGroup var worker: WorkerOptions
    @OptionGroup var shutdown: ShutdownOptions
    @OptionGroup var status: StatusOptions

    func run() async throws {
        let logger = Logger(label: "longrun.worker")
        try await Services.run(
            try Services.process(
                databaseURL: try database.requiredURL(), pool: try database.pool(),
                notifications: try notifications.mode(),
                worker: try Services.WorkerRole(worker, shutdown: shutdown),
                status: try status.endpoint(), logger: logger),
            shutdownLimit: try shutdown.limit(), logger: logger
        )
    }
}

struct NotifierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifier", abstract: "Run a notifier: send webhooks and Ouro log forwards.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var notifications: NotificationOptions
    @OptionGroup var notifier: NotifierOptions
    @OptionGroup var callbacks: CallbackOptions
    @OptionGroup var shutdown: ShutdownOptions
    @OptionGroup var status: StatusOptions

    func run() async throws {
        let logger = Logger(label: "longrun.notifier")
        try await Services.run(
            try Services.process(
                databaseURL: try database.requiredURL(), pool: try database.pool(),
                notifications: try notifications.mode(),
                notifier: try notifier.configuration(callbacks: callbacks, shutdown: shutdown),
                status: try status.endpoint(), logger: logger),
            shutdownLimit: try shutdown.limit(), logger: logger
        )
    }
}

/// `api`, `worker` and `notifier` in one process: one pool, one ServiceGroup.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run an API node, a worker and a notifier in one process.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var notifications: NotificationOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var worker: WorkerOptions
    @OptionGroup var notifier: NotifierOptions
    @OptionGroup var callbacks: CallbackOptions
    @OptionGroup var shutdown: ShutdownOptions

    func run() async throws {
        let logger = Logger(label: "longrun")
        try await Services.run(
            try Services.process(
                databaseURL: try database.requiredURL(), pool: try database.pool(),
                notifications: try notifications.mode(),
                api: try api.configuration(callbacks: callbacks),
                worker: try Services.WorkerRole(worker, shutdown: shutdown),
                notifier: try notifier.configuration(callbacks: callbacks, shutdown: shutdown), logger: logger),
            shutdownLimit: try shutdown.limit(), logger: logger
        )
    }
}
