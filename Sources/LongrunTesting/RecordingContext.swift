import Foundation
import LongrunCore
import Synchronization

/// An operation context that keeps everything a handler reports in memory, for
/// testing handlers on their own. It starts from `checkpoint`, as a later attempt
/// would.
public final class RecordingContext: OperationContext {
    public struct Record: Sendable {
        public var progress: [(percent: Int, message: String?)] = []
        public var logs: [(level: OperationLogEntry.Level, message: String)] = []
        public var estimatedCompletion: Date?
        public var checkpoint: JSONValue?
    }

    public let operationID = UUID()
    public let attempt: Int
    public let metadata: JSONValue
    private let record: Mutex<Record>

    public init(attempt: Int = 1, metadata: JSONValue = .emptyObject, checkpoint: JSONValue? = nil) {
        self.attempt = attempt
        self.metadata = metadata
        self.record = Mutex(Record(checkpoint: checkpoint))
    }

    /// What the handler has reported so far.
    public var recorded: Record { record.withLock { $0 } }

    public func reportProgress(_ percent: Int, message: String?) async throws {
        record.withLock { record in
            record.progress.append((percent, message))
            if let message { record.logs.append((.info, message)) }
        }
    }

    public func log(_ level: OperationLogEntry.Level, _ message: String) async throws {
        record.withLock { $0.logs.append((level, message)) }
    }

    public func estimateCompletion(at date: Date) async throws {
        record.withLock { $0.estimatedCompletion = date }
    }

    public func saveCheckpoint<Checkpoint: Codable & Sendable>(_ checkpoint: Checkpoint) async throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(checkpoint))
        record.withLock { $0.checkpoint = value }
    }

    public func loadCheckpoint<Checkpoint: Codable & Sendable>(as type: Checkpoint.Type) async throws -> Checkpoint? {
        guard let value = record.withLock({ $0.checkpoint }) else { return nil }
        return try JSONDecoder().decode(Checkpoint.self, from: try JSONEncoder().encode(value))
    }
}
