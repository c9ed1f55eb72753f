import Foundation
import Logging
import PostgresNIO

/// A private PostgreSQL server in a folder of its own: `longrun dev`, the test suite and
/// the benchmarks use it so that nothing but the machine's `initdb` and `pg_ctl` is needed.
///
/// The folder holds `data/` (the cluster), `password` (the generated password of the
/// `postgres` role), `server.log`, `launcher.log` and `lock`. A second start on the same
/// folder reuses the cluster. A watchdog process stops the server when the launcher's
/// process ends, even by SIGKILL; should a server outlive its launcher anyway, the next
/// start on the folder stops it first.
///
/// ```swift
/// let server = try await LocalPostgres.start(.init(folder: URL(fileURLWithPath: ".longrun/postgres")), logger: logger)
/// print(server.url)
/// …
/// try await server.stop()
/// ```
public final class LocalPostgres: Sendable {
    public struct Options: Sendable {
        public var folder: URL
        /// Off for throwaway test servers: no fsync, much faster on slow disks, and a
        /// crash may lose the data (which tests do not keep anyway).
        public var durable: Bool
        /// The database `url` names, created on first start.
        public var database: String
        /// The unprivileged account that runs the server when the caller is root.
        public var account: String

        public init(
            folder: URL, durable: Bool = true, database: String = "longrun",
            account: String = ProcessInfo.processInfo.environment["LONGRUN_POSTGRES_USER"] ?? "postgres"
        ) {
            self.folder = folder
            self.durable = durable
            self.database = database
            self.account = account
        }
    }

    public let folder: URL
    public let port: Int
    public let database: String
    let password: String
    let lock: FolderLock
    private let watchdog: Watchdog

    public var dataFolder: URL { folder.appendingPathComponent("data") }

    /// A `DATABASE_URL` for the server's database as the `postgres` role.
    public var url: String { url(database: database) }

    public func url(database: String) -> String {
        "postgres://postgres:\(password)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    private init(
        folder: URL, port: Int, database: String, password: String, lock: FolderLock, watchdog: Watchdog
    ) {
        self.folder = folder
        self.port = port
        self.database = database
        self.password = password
        self.lock = lock
        self.watchdog = watchdog
    }

    /// The machine's `pgbench`, beside the server programs this launcher uses; nil when
    /// it has none. For benchmarks that drive PostgreSQL without Longrun in the way.
    public static var pgbench: String? {
        guard let binaries = PostgresBinaries.locate(),
            FileManager.default.isExecutableFile(atPath: binaries.pgbench)
        else { return nil }
        return binaries.pgbench
    }

    /// Creates the cluster if the folder has none, stops an orphaned server, starts the
    /// server on a free loopback port and returns once it accepts connections.
    public static func start(_ options: Options, logger: Logger) async throws(LocalPostgresError) -> LocalPostgres {
        guard let binaries = PostgresBinaries.locate() else {
            throw LocalPostgresError(
                "PostgreSQL's initdb and pg_ctl were found neither on PATH nor under /usr/lib/postgresql/*/bin;"
                    + " install Debian's postgresql package (scripts/dev and scripts/test do this for you)"
            )
        }
        let account = try ServerAccount.current(preferredName: options.account)
        let folder = options.folder.standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw LocalPostgresError("cannot create \(folder.path): \(error)")
        }
        try account.own(folder.path)
        guard account.canTraverse(folder) else {
            throw LocalPostgresError(
                "the server account '\(options.account)' cannot reach \(folder.path) (a folder above it is closed);"
                    + " choose a data folder it can reach, e.g. under /tmp"
            )
        }
        guard let lock = try FolderLock(path: folder.appendingPathComponent("lock").path) else {
            throw LocalPostgresError("another running process owns the PostgreSQL server in \(folder.path)")
        }
        do throws(LocalPostgresError) {
            let launcherLog = folder.appendingPathComponent("launcher.log")
            let data = folder.appendingPathComponent("data")
            try await stopOrphan(data: data, binaries: binaries, account: account, log: launcherLog, logger: logger)
            let password = try await prepareCluster(
                folder: folder, data: data, binaries: binaries, account: account, log: launcherLog, logger: logger
            )
            let port = try await startServer(
                folder: folder, data: data, options: options, binaries: binaries, account: account, log: launcherLog
            )
            let watchdog = try Watchdog(
                stopCommand: stopCommand(binaries: binaries, data: data), as: account, log: launcherLog
            )
            let server = LocalPostgres(
                folder: folder, port: port, database: options.database, password: password, lock: lock,
                watchdog: watchdog
            )
            do throws(LocalPostgresError) {
                try await server.createDatabaseIfMissing(logger: logger)
            } catch {
                try? await server.stop()
                throw error
            }
            logger.info(
                "private PostgreSQL started",
                metadata: ["longrun.postgres.folder": "\(folder.path)", "longrun.postgres.port": "\(port)"]
            )
            return server
        } catch {
            lock.release()
            throw error
        }
    }

    /// Stops the server (fast shutdown: open sessions are ended) and gives the folder
    /// up for the next launcher. Without this call the server stops anyway when this
    /// process exits.
    public func stop() async throws(LocalPostgresError) {
        defer { lock.release() }
        let log = folder.appendingPathComponent("launcher.log")
        let status: Int32
        do {
            status = try await watchdog.stopServer()
        } catch {
            throw LocalPostgresError("the watchdog that stops the server failed: \(error)")
        }
        // A server that is already gone (stopped by someone else) is as stopped as can be.
        let gone = !FileManager.default.fileExists(atPath: dataFolder.appendingPathComponent("postmaster.pid").path)
        guard status == 0 || gone else { throw Command.failure("pg_ctl stop", status: status, log: log) }
    }

    private static func stopCommand(binaries: PostgresBinaries, data: URL) -> [String] {
        [binaries.pgCtl, "-D", data.path, "-m", "fast", "-w", "-t", "60", "stop"]
    }

    /// A server running in a folder whose lock nobody holds lost its launcher (and its
    /// watchdog): stop it before starting afresh.
    private static func stopOrphan(
        data: URL, binaries: PostgresBinaries, account: ServerAccount, log: URL, logger: Logger
    ) async throws(LocalPostgresError) {
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path) else { return }
        let running = try await Command.run([binaries.pgCtl, "-D", data.path, "status"], as: account, log: log) == 0
        guard running else { return }
        logger.warning(
            "stopping a PostgreSQL server whose launcher is gone",
            metadata: ["longrun.postgres.folder": "\(data.path)"]
        )
        try await Command.check(
            stopCommand(binaries: binaries, data: data), as: account, log: log, what: "stopping the orphaned server"
        )
    }

    /// Runs `initdb` when the folder has no complete cluster; returns the role's password.
    private static func prepareCluster(
        folder: URL, data: URL, binaries: PostgresBinaries, account: ServerAccount, log: URL, logger: Logger
    ) async throws(LocalPostgresError) -> String {
        let passwordFile = folder.appendingPathComponent("password")
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: data.appendingPathComponent("PG_VERSION").path),
            let password = try? String(contentsOf: passwordFile, encoding: .utf8)
        {
            return password.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // A half-made cluster (initdb interrupted) cannot be repaired; start over.
        try? fileManager.removeItem(at: data)
        var generator = SystemRandomNumberGenerator()
        let password = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
            .joined()
        guard
            fileManager.createFile(
                atPath: passwordFile.path, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        else { throw LocalPostgresError("cannot write \(passwordFile.path)") }
        try account.own(passwordFile.path)
        logger.info("creating a PostgreSQL cluster", metadata: ["longrun.postgres.folder": "\(data.path)"])
        try await Command.check(
            [
                binaries.initdb, "-D", data.path, "-U", "postgres", "--auth=scram-sha-256",
                "--pwfile=\(passwordFile.path)", "-E", "UTF8", "--locale=C",
            ],
            as: account,
            log: log,
            what: "initdb"
        )
        return password
    }

    /// Starts the server on a free port, trying a few ports in case another process
    /// takes the chosen one first.
    private static func startServer(
        folder: URL, data: URL, options: Options, binaries: PostgresBinaries, account: ServerAccount, log: URL
    ) async throws(LocalPostgresError) -> Int {
        var settings = [
            "listen_addresses=127.0.0.1", "unix_socket_directories=''", "max_connections=300",
            "shared_buffers=128MB",
        ]
        if !options.durable {
            // The test suite: every test has a database and pools of its own, all at once.
            settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=1500"]
        }
        var lastError: LocalPostgresError?
        for _ in 1...3 {
            let port = try freeLoopbackPort()
            let serverOptions = (["-p \(port)"] + settings.map { "-c \($0)" }).joined(separator: " ")
            do {
                try await Command.check(
                    [
                        binaries.pgCtl, "-D", data.path, "-l", folder.appendingPathComponent("server.log").path,
                        "-w", "-t", "60", "-o", serverOptions, "start",
                    ],
                    as: account,
                    log: log,
                    what: "pg_ctl start",
                    newSession: true
                )
                return port
            } catch {
                lastError = error
            }
        }
        throw lastError!
    }

    private func createDatabaseIfMissing(logger: Logger) async throws(LocalPostgresError) {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: .init(
                    host: "127.0.0.1", port: port, username: "postgres", password: password, database: "postgres",
                    tls: .disable
                ),
                id: 1,
                logger: logger
            )
            do {
                let exists =
                    try await connection.query(
                        "SELECT 1 FROM pg_database WHERE datname = \(database)",
                        logger: logger
                    ).collect().isEmpty == false
                if !exists {
                    // CREATE DATABASE takes no bind parameters; the name is our own
                    // option, quoted as an identifier.
                    let quoted = "\"" + database.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                    try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(quoted)"), logger: logger)
                }
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        } catch {
            throw LocalPostgresError(
                "the server started but \(database) could not be prepared: \(String(reflecting: error))")
        }
    }
}
