import Foundation

/// The code behind one kind of operation: a typed input, a typed result, and the work
/// in between. Registering one is a line: `registry.register(ReportExport())`.
///
/// ```swift
/// struct ReportExport: OperationHandler {
///     static let kind = "reports.export"
///     struct Input: Codable, Sendable { var month: String }
///     struct Output: Codable, Sendable { var url: String }
///
///     func validate(_ input: Input) throws(InputValidationError) {
///         guard input.month.count == 7 else { throw InputValidationError("month", "must look like 2026-11") }
///     }
///
///     func run(_ input: Input, context: some OperationContext) async throws -> Output {
///         try await context.reportProgress(50, message: "rendering")
///         return Output(url: "https://…")
///     }
/// }
/// ```
public protocol OperationHandler: Sendable {
    associatedtype Input: Decodable & Sendable
    associatedtype Output: Encodable & Sendable

    /// The kind this handler runs, e.g. `demo.sleep`: what clients put in `kind`.
    static var kind: String { get }

    /// Checks what the input's type cannot say. The API node calls it before anything
    /// is stored, so bad input is refused at once (422) rather than failing later.
    func validate(_ input: Input) throws(InputValidationError)

    /// Does the work. Cancellation and the operation's deadline arrive as Swift Task
    /// cancellation; throw ``RetryableError`` for failures worth another attempt.
    func run(_ input: Input, context: some OperationContext) async throws -> Output
}

extension OperationHandler {
    public func validate(_ input: Input) throws(InputValidationError) {}
}

/// What a running handler can tell the world and keep between attempts.
public protocol OperationContext: Sendable {
    var operationID: UUID { get }
    /// 1 for the first attempt.
    var attempt: Int { get }
    /// The client's `metadata`, as given at create.
    var metadata: JSONValue { get }

    /// Progress 0–100 with a message; the message is also logged at level `info`.
    func reportProgress(_ percent: Int, message: String?) async throws
    func log(_ level: OperationLogEntry.Level, _ message: String) async throws
    func estimateCompletion(at date: Date) async throws
    /// Saves where the work stands; a later attempt (after a crash, a release or a
    /// retry) loads it and resumes from there.
    func saveCheckpoint<Checkpoint: Codable & Sendable>(_ checkpoint: Checkpoint) async throws
    func loadCheckpoint<Checkpoint: Codable & Sendable>(as type: Checkpoint.Type) async throws -> Checkpoint?
}

/// A failure worth another attempt (a timeout, a busy dependency). The operation goes
/// back to `pending` with back-off while attempts remain; any other error fails it at
/// once with the error's message.
public struct RetryableError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Input a kind refuses, field by field: the API answers it as a 422 problem document
/// listing each `{field, message}`.
public struct InputValidationError: Error, Sendable, Hashable {
    public struct FieldError: Sendable, Hashable, Codable {
        public var field: String
        public var message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var errors: [FieldError]

    public init(_ errors: [FieldError]) {
        self.errors = errors
    }

    public init(_ field: String, _ message: String) {
        self.errors = [FieldError(field: field, message: message)]
    }
}
