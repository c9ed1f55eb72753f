import Logging
import LongrunCore
import PostgresNIO

/// The one place that speaks SQL. API, worker and notifier see it through the store
/// protocols of `LongrunCore`; every statement binds its values.
///
/// The store does not own the `PostgresClient`: the process runs the client as a
/// service in its ServiceGroup, so the pool starts before and stops after its users.
public struct PostgresStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let migrator: Migrator
    /// Sends the store's wake-ups after commits; run it in the process's ServiceGroup.
    public let publisher: NotificationPublisher

    public init(client: PostgresClient, logger: Logger) throws(LongrunError) {
        self.client = client
        self.logger = logger
        self.migrator = try Migrator(client: client, logger: logger)
        self.publisher = NotificationPublisher(client: client, logger: logger)
    }
}

extension PostgresStore: OperationStore {
    public func pendingMigrations() async throws -> [String] {
        try await migrator.pending()
    }
}
