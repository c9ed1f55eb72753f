import Hummingbird
import Logging
import LongrunCore

/// `/healthz` says the process serves HTTP (restart it if not); `/readyz` says it can do
/// its work: the database answers and holds the schema this build expects (send it
/// traffic only then).
struct HealthRoutes<Readiness: SchemaReadiness>: Sendable {
    let readiness: Readiness
    let timeout: Duration
    let logger: Logger

    func register(on router: Router<some RequestContext>, table: RouteTable) {
        router.get("healthz") { _, _ in HealthStatus(status: "ok") }
        router.get("readyz") { _, _ in try await checkReadiness() }
        table.add(.get, "/healthz")
        table.add(.get, "/readyz")
    }

    private func checkReadiness() async throws -> HealthStatus {
        let pending: [String]
        do {
            pending = try await withTimeout(timeout) { try await readiness.pendingMigrations() }
        } catch let error as LongrunError where error.code == .schemaMismatch {
            throw Problem(status: .serviceUnavailable, title: "Schema mismatch", detail: error.message)
        } catch {
            logger.warning("readiness check failed", metadata: ["longrun.error": "\(String(reflecting: error))"])
            throw Problem(
                status: .serviceUnavailable,
                title: "Database unreachable",
                detail: "The database did not answer within \(timeout)."
            )
        }
        guard pending.isEmpty else {
            throw Problem(
                status: .serviceUnavailable,
                title: "Migrations pending",
                detail: "Run `longrun migrate`; not yet applied: \(pending.joined(separator: ", "))."
            )
        }
        return HealthStatus(status: "ok")
    }
}

struct HealthStatus: ResponseEncodable {
    var status: String
}

/// The result of `body`, or a `CancellationError` once `timeout` has passed.
func withTimeout<Result: Sendable>(
    _ timeout: Duration,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw CancellationError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
