/// An error of Longrun's own, with a code callers can switch on and a message for people.
///
/// The code is an open set (a struct, not an enum) so new codes do not break callers;
/// the API maps them to problem documents.
public struct LongrunError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A status change the lifecycle does not allow.
        public static let illegalTransition = Code(rawValue: "illegal_transition")
        /// A value failed validation (a request field, a configuration value).
        public static let invalidInput = Code(rawValue: "invalid_input")
        /// The database holds migrations this build does not know, or differs from them.
        public static let schemaMismatch = Code(rawValue: "schema_mismatch")
        /// A local resource (a binary, a folder, a process) is missing or misbehaves.
        public static let environment = Code(rawValue: "environment")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
