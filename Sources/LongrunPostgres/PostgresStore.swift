import Logging
import LongrunCore
import PostgresNIO
import ServiceLifecycle
import _ConnectionPoolModule

/// The one place that speaks SQL. API, worker and notifier see it through the store
/// protocols of `LongrunCore`; every statement binds its values.
///
/// The store does not own the `PostgresClient`: the process runs the client as a
/// service in its ServiceGroup, so the pool starts before and stops after its users.
public struct PostgresStore: Sendable {
    let client: PostgresClient
    /// Where the store opens its LISTEN connection, outside the pool.
    let url: DatabaseURL
    let logger: Logger
    let migrator: Migrator
    /// Sends the store's wake-ups after commits; run it in the process's ServiceGroup.
    public let publisher: NotificationPublisher
    /// Gathers concurrent creates into one insert.
    let creates: CreateBatcher
    /// Whether the store sends and listens for notifications, or polls.
    public let notifications: NotificationMode
    /// How long a statement waits for a pooled connection before it gives up.
    let connectionWait: Duration

    /// A store on `client`, a pool to `url`.
    public init(
        client: PostgresClient, url: DatabaseURL, notifications: NotificationMode = .listen,
        connectionWait: Duration = PoolSettings().connectionWait, logger: Logger
    ) throws(LongrunError) {
        self.client = client
        self.url = url
        self.logger = logger
        self.notifications = notifications
        self.connectionWait = connectionWait
        self.migrator = try Migrator(client: client, logger: logger)
        self.publisher = NotificationPublisher(client: client, sends: notifications == .listen, logger: logger)
        self.creates = CreateBatcher()
    }
}

/// A process's connection pool: its size, and how long a statement waits for one of
/// its connections.
public struct PoolSettings: Sendable {
    /// `max_connections` must cover this for every process, plus their LISTENs.
    public var maximumConnections: Int
    /// Past it the statement fails as ``ConnectionWaitExceeded``: the API answers 503
    /// with `Retry-After`, loops try again. PostgresNIO's pool alone would hold it
    /// through a minute of failed connection attempts.
    public var connectionWait: Duration

    /// How long a statement may take, its wait for a connection included, before its
    /// caller stops waiting for it.
    public static let statementDeadline: Duration = .seconds(30)

    public init(maximumConnections: Int = 20, connectionWait: Duration = .seconds(5)) {
        self.maximumConnections = maximumConnections
        self.connectionWait = connectionWait
    }
}

extension PostgresStore {
    /// A store with a pool of its own to `url`, for processes that wire themselves:
    /// run `pool` in the process's ServiceGroup before anything that uses the store.
    public static func connecting(
        to url: String, pool settings: PoolSettings = .init(), notifications: NotificationMode = .listen,
        logger: Logger
    ) throws
        -> (store: PostgresStore, pool: any Service)
    {
        let parsed = try DatabaseURL(url)
        var configuration = parsed.clientConfiguration
        configuration.options.maximumConnections = settings.maximumConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let store = try PostgresStore(
            client: client, url: parsed, notifications: notifications, connectionWait: settings.connectionWait,
            logger: logger)
        return (store, client)
    }

    /// Applies the bundled migrations that are pending; see ``Migrator``.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await migrator.migrate()
    }
}

extension PostgresStore: OperationStore {
    public func pendingMigrations() async throws -> [String] {
        try await migrator.pending()
    }

    public func isUnavailable(_ error: any Error) -> Bool {
        switch error {
        case is StatementDeadlineExceeded, is ConnectionWaitExceeded:
            return true
        case let error as PostgresTransactionError:
            // BEGIN or COMMIT on a connection that went away.
            return [error.beginError, error.commitError, error.closureError].contains { $0.map(isUnavailable) ?? false }
        case let error as ConnectionPoolError:
            // The pool gave up connecting (its circuit breaker opens after about a minute
            // of failed attempts, and fails requests at once while open).
            return error == .connectionCreationCircuitBreakerTripped
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                return true
            case .server:
                // Class 08: connection exceptions; class 57: shutting down, starting up,
                // too many connections, an administrator ended the session.
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || state.hasPrefix("57") || state == "53300"
            default:
                return false
            }
        default:
            return false
        }
    }
}
