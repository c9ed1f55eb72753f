import Foundation

/// One line of an operation's log. Progress messages are logged too (level `info`), so
/// the log tells the whole story and is what Ouro log forwarding sends.
public struct OperationLogEntry: Sendable, Hashable {
    public enum Level: String, Sendable, Codable, CaseIterable, Hashable {
        case debug, info, warning, error
    }

    /// Increases with every line written, across operations: the order of the log and
    /// the id a stream resumes from.
    public var id: Int64
    public var operationID: UUID
    public var at: Date
    public var level: Level
    public var message: String

    public init(id: Int64, operationID: UUID, at: Date, level: Level, message: String) {
        self.id = id
        self.operationID = operationID
        self.at = at
        self.level = level
        self.message = message
    }
}
