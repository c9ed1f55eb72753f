import Foundation
import LongrunCore
import PostgresNIO

extension PostgresStore {
    /// Appends a line to an operation's log.
    @discardableResult
    public func appendLog(
        operationID: UUID, level: OperationLogEntry.Level, message: String
    ) async throws
        -> OperationLogEntry
    {
        let rows = try await query(
            """
            WITH logged AS (
                INSERT INTO operation_logs (operation_id, level, message)
                VALUES (\(operationID), \(level.rawValue), \(message))
                RETURNING id, operation_id, at, level, message
            ), \(unescaped: Self.ouroLogForwards(logged: "logged", operations: "operations"))
            SELECT id, operation_id, at, level, message, EXISTS (SELECT 1 FROM forwarded) FROM logged
            """
        )
        guard let row = rows.first else {
            throw LongrunError(.environment, "INSERT … RETURNING returned no row")
        }
        let (id, operation, at, _, text, forwarded) = try row.decode(
            (Int64, UUID, Date, String, String, Bool).self)
        announce(changed: [operation], deliveries: forwarded ? [operation] : [])
        return OperationLogEntry(id: id, operationID: operation, at: at, level: level, message: text)
    }

    /// An operation's log lines in the order written, those after `afterID` only when given,
    /// at most `limit` when given (`LIMIT NULL` is no limit).
    public func logs(
        operationID: UUID, after afterID: Int64? = nil, limit: Int? = nil
    ) async throws -> [OperationLogEntry] {
        try await query(
            """
            SELECT id, operation_id, at, level, message FROM operation_logs
            WHERE operation_id = \(operationID) AND id > \(afterID ?? 0)
            ORDER BY id
            LIMIT \(limit)
            """
        ).map(OperationLogEntry.init(row:))
    }
}

extension OperationLogEntry {
    init(row: PostgresRow) throws {
        let (id, operationID, at, levelText, message) = try row.decode((Int64, UUID, Date, String, String).self)
        guard let level = Level(rawValue: levelText) else {
            throw LongrunError(.schemaMismatch, "unknown log level \(levelText)")
        }
        self.init(id: id, operationID: operationID, at: at, level: level, message: message)
    }
}
