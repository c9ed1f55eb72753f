import ArgumentParser
import Foundation
import Logging
import LongrunAPI
import LongrunLocalPostgres
import LongrunPostgres

/// Everything on one machine with nothing to set up: a private PostgreSQL (unless
/// `DATABASE_URL` names one), the schema, a dev API key, and the processes, in one
/// ServiceGroup. Ctrl-C stops them all, the private PostgreSQL last.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run Longrun locally on a private PostgreSQL it starts itself."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var notifications: NotificationOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var worker: WorkerOptions
    @OptionGroup var notifier: NotifierOptions
    @OptionGroup var callbacks: CallbackOptions
    @OptionGroup var shutdown: ShutdownOptions

    @Option(help: "Folder of the private PostgreSQL (env: LONGRUN_DATA_DIR; default .longrun/postgres).")
    var dataDir: String?

    @Flag(
        help:
            "Run no notifier: no webhook leaves this machine (dev allows callbacks anywhere; a fuzzer makes up hosts)."
    )
    var noNotifier = false

    func run() async throws {
        let logger = Logger(label: "longrun.dev")
        let apiConfiguration = try api.configuration(callbacks: callbacks, developing: true)
        let notifierConfiguration = try notifier.configuration(
            callbacks: callbacks, shutdown: shutdown, developing: true)
        let workerRole = try Services.WorkerRole(worker, shutdown: shutdown)
        var localServer: LocalPostgres?
        let databaseURL: String
        if let url = try database.resolvedURL() {
            databaseURL = url
        } else {
            let folder = try Setting.resolve(dataDir, environment: "LONGRUN_DATA_DIR", default: ".longrun/postgres")
            let server = try await LocalPostgres.start(.init(folder: URL(fileURLWithPath: folder)), logger: logger)
            localServer = server
            databaseURL = server.url
        }
        do {
            let issued = try await withPostgresStore(url: databaseURL, logger: logger) { store in
                try await store.migrate()
                return try await IssuedKey.create(tenant: "dev", store: store)
            }
            let services = try Services.process(
                databaseURL: databaseURL, pool: try database.pool(),
                notifications: try notifications.mode(), api: apiConfiguration, worker: workerRole,
                notifier: noNotifier ? nil : notifierConfiguration,
                logger: logger
            ) { port in
                // Written straight to the descriptor: a pipe would otherwise buffer it.
                FileHandle.standardOutput.write(
                    Data(
                        """
                        Longrun is running on http://\(apiConfiguration.host):\(port) (Ctrl-C stops it).
                        \(issued.lines)
                        Try:
                          curl -s http://\(apiConfiguration.host):\(port)/readyz
                          curl -s -X POST http://\(apiConfiguration.host):\(port)/v1/operations \\
                            -H 'Authorization: Bearer \(issued.apiKey)' -H 'Content-Type: application/json' \\
                            -d '{"kind":"demo.sleep","input":{"seconds":10}}'

                        """.utf8
                    )
                )
            }
            try await Services.run(services, shutdownLimit: try shutdown.limit(), logger: logger)
        } catch {
            try? await localServer?.stop()
            throw error
        }
        try await localServer?.stop()
    }
}
