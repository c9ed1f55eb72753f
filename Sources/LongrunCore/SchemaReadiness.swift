/// What `/readyz` asks the store: can it reach the database, and is the schema the one
/// this build expects? Workers ask the same before claiming.
public protocol SchemaReadiness: Sendable {
    /// The names of the bundled migrations not yet applied; throws when the database
    /// cannot be reached or holds migrations this build does not know.
    func pendingMigrations() async throws -> [String]
}
