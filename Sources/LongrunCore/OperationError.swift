/// The `error` object of a failed or cancelled operation.
public struct OperationError: Sendable, Hashable, Codable {
    /// A stable snake_case word clients can switch on; an open set.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
        public var description: String { rawValue }

        public static let cancelled = Code(rawValue: "cancelled")
        public static let deadlineExceeded = Code(rawValue: "deadline_exceeded")
        public static let workerLost = Code(rawValue: "worker_lost")
        public static let handlerError = Code(rawValue: "handler_error")
    }

    public var code: Code
    public var message: String
    public var details: JSONValue

    public init(code: Code, message: String, details: JSONValue = .emptyObject) {
        self.code = code
        self.message = message
        self.details = details
    }
}
