import ArgumentParser
import Logging

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run a worker: claim operations and run their handlers.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var worker: WorkerOptions

    func run() async throws {
        let logger = Logger(label: "longrun.worker")
        try await Services.run(
            try Services.process(
                databaseURL: try database.requiredURL(), worker: try Services.WorkerRole(worker), logger: logger),
            logger: logger
        )
    }
}

/// `api` and `worker` in one process: one pool, one ServiceGroup.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run an API node and a worker in one process.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var worker: WorkerOptions

    func run() async throws {
        let logger = Logger(label: "longrun")
        try await Services.run(
            try Services.process(
                databaseURL: try database.requiredURL(), api: try api.configuration(),
                worker: try Services.WorkerRole(worker), logger: logger),
            logger: logger
        )
    }
}
