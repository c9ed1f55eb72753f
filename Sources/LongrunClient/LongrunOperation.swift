import Foundation
import LongrunCore

/// An operation as the API shows it (named apart from Foundation's `Operation`).
public struct LongrunOperation: Sendable, Hashable, Codable {
    public var id: UUID
    public var kind: String
    public var status: OperationStatus
    public var done: Bool
    public var progress: Int?
    public var message: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var estimatedCompletion: Date?
    public var attempt: Int
    public var maxAttempts: Int
    public var metadata: JSONValue
    public var queue: String
    public var priority: Int
    public var deadline: Date?
    public var callbackURL: String?
    /// Present exactly when `succeeded`.
    public var result: JSONValue?
    /// Present exactly when `failed` or `cancelled`.
    public var error: OperationError?

    enum CodingKeys: String, CodingKey {
        case id, kind, status, done, progress, message, attempt, metadata, queue, priority, deadline, result, error
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case estimatedCompletion = "estimated_completion"
        case maxAttempts = "max_attempts"
        case callbackURL = "callback_url"
    }
}

/// What to create: the body of `POST /v1/operations`.
public struct SubmitRequest: Sendable, Hashable, Encodable {
    public var kind: String
    public var input: JSONValue
    public var metadata: JSONValue?
    public var callbackURL: String?
    public var queue: String?
    public var priority: Int?
    public var maxAttempts: Int?
    public var timeoutSeconds: Double?

    public init(
        kind: String, input: JSONValue = .emptyObject, metadata: JSONValue? = nil, callbackURL: String? = nil,
        queue: String? = nil, priority: Int? = nil, maxAttempts: Int? = nil, timeoutSeconds: Double? = nil
    ) {
        self.kind = kind
        self.input = input
        self.metadata = metadata
        self.callbackURL = callbackURL
        self.queue = queue
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
    }

    enum CodingKeys: String, CodingKey {
        case kind, input, metadata, queue, priority
        case callbackURL = "callback_url"
        case maxAttempts = "max_attempts"
        case timeoutSeconds = "timeout_seconds"
    }
}

/// One line of an operation's log.
public struct LogLine: Sendable, Hashable, Codable {
    public var at: Date
    public var level: String
    public var message: String
}

/// What an event stream tells, in order.
public enum OperationEvent: Sendable, Hashable {
    /// The status changed; the resource as it was then.
    case status(LongrunOperation)
    case progress(Int?, message: String?)
    case log(LogLine)
    /// The operation finished; the stream ends after it.
    case done(LongrunOperation)
}

/// A problem document from the API, or an answer the client did not expect.
public enum LongrunClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The API refused the request (RFC 9457 problem document).
    case problem(status: Int, title: String, detail: String, errors: [FieldError])
    /// An answer that is not the API's (a proxy's error page, say).
    case unexpected(status: Int, body: String)

    public struct FieldError: Sendable, Hashable, Decodable {
        public var field: String
        public var message: String
    }

    public var status: Int {
        switch self {
        case .problem(let status, _, _, _), .unexpected(let status, _): status
        }
    }

    public var description: String {
        switch self {
        case .problem(let status, let title, let detail, let errors):
            let fields = errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
            return "\(status) \(title): \(detail)" + (fields.isEmpty ? "" : " (\(fields))")
        case .unexpected(let status, let body):
            return "unexpected answer \(status): \(body.prefix(200))"
        }
    }
}
