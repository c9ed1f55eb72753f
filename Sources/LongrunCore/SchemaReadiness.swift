/// What `/readyz` asks the store: can it reach the database, and is the schema the one
/// this build expects? Workers ask the same before claiming.
public protocol SchemaReadiness: Sendable {
    /// The names of the bundled migrations not yet applied; throws when the database
    /// cannot be reached or its applied migrations differ from this build's. A database
    /// ahead of the build (its migrations, then newer ones) counts as current.
    func pendingMigrations() async throws -> [String]
}

extension SchemaReadiness {
    /// Returns once every bundled migration is applied. Background processes wait here
    /// before their first query: in a rollout they may start before `longrun migrate`
    /// has run. `report` hears why each wait happens (a message and the pending names
    /// or the error).
    public func waitForSchema(
        poll interval: Duration, report: (_ message: String, _ detail: String) -> Void
    ) async throws {
        while true {
            do {
                let pending = try await pendingMigrations()
                if pending.isEmpty { return }
                report("waiting for migrations to be applied", "\(pending)")
            } catch {
                report("waiting for the database", String(reflecting: error))
            }
            try await Task.sleep(for: interval)
            try Task.checkCancellation()
        }
    }
}
