import Foundation

/// The kinds a process knows. The API node asks it to validate inputs; a worker asks
/// it to run them and claims only the kinds it holds.
public struct HandlerRegistry: Sendable {
    private var handlers: [String: any ErasedHandler] = [:]

    public init() {}

    /// Adds a handler; a second handler for the same kind replaces the first.
    public mutating func register<Handler: OperationHandler>(_ handler: Handler) {
        handlers[Handler.kind] = TypedHandler(handler: handler)
    }

    /// The registered kinds, sorted.
    public var kinds: [String] { handlers.keys.sorted() }

    public func knows(_ kind: String) -> Bool { handlers[kind] != nil }

    /// Decodes `input` as the kind's input type and runs its validation. Throws
    /// ``InputValidationError`` for input the kind refuses, and
    /// `LongrunError(.invalidInput)` for an unknown kind.
    public func validate(kind: String, input: JSONValue) throws {
        try handler(for: kind).validate(input)
    }

    /// Runs the kind's handler on `input` and returns its result as JSON.
    public func run(kind: String, input: JSONValue, context: some OperationContext) async throws -> JSONValue {
        try await handler(for: kind).run(input, context: context)
    }

    private func handler(for kind: String) throws(LongrunError) -> any ErasedHandler {
        guard let handler = handlers[kind] else {
            throw LongrunError(.invalidInput, "unknown kind \(kind)")
        }
        return handler
    }
}

/// A handler behind JSON, so handlers of different types share one registry.
private protocol ErasedHandler: Sendable {
    func validate(_ input: JSONValue) throws
    func run(_ input: JSONValue, context: some OperationContext) async throws -> JSONValue
}

private struct TypedHandler<Handler: OperationHandler>: ErasedHandler {
    let handler: Handler

    func validate(_ input: JSONValue) throws {
        try handler.validate(try decode(input))
    }

    func run(_ input: JSONValue, context: some OperationContext) async throws -> JSONValue {
        let output = try await handler.run(try decode(input), context: context)
        let encoded = try JSONEncoder().encode(output)
        return try JSONValue(jsonBytes: encoded) ?? JSONDecoder().decode(JSONValue.self, from: encoded)
    }

    /// The typed input, or a validation error naming the field the decoder choked on.
    private func decode(_ input: JSONValue) throws -> Handler.Input {
        do {
            return try JSONDecoder().decode(Handler.Input.self, from: Data(input.jsonText.utf8))
        } catch let error as DecodingError {
            throw InputValidationError(error.fieldErrors)
        }
    }
}

extension DecodingError {
    /// Where in the input the problem is (`input.steps`) and what it is, in words
    /// for the client.
    fileprivate var fieldErrors: [InputValidationError.FieldError] {
        func field(_ path: [any CodingKey]) -> String {
            (["input"] + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }).joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch self {
        case .keyNotFound(let key, let context):
            return [.init(field: field(context.codingPath + [key]), message: "is required")]
        case .typeMismatch(let type, let context):
            return [.init(field: field(context.codingPath), message: "must be \(Self.describe(type))")]
        case .valueNotFound(let type, let context):
            return [.init(field: field(context.codingPath), message: "must be \(Self.describe(type)), not null")]
        case .dataCorrupted(let context):
            return [.init(field: field(context.codingPath), message: "is not valid here")]
        @unknown default:
            return [.init(field: "input", message: "is not valid for this kind")]
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is String.Type: "a string"
        default: "of the expected type"
        }
    }
}
