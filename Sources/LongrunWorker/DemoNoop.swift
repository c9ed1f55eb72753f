import LongrunCore

/// `demo.noop`: does nothing and succeeds with `{}`. The cheapest possible operation,
/// for measuring the system itself.
public struct DemoNoop: OperationHandler {
    public static let kind = "demo.noop"

    public struct Input: Codable, Sendable {}
    public struct Output: Codable, Sendable, Equatable {}

    public init() {}

    public func run(_ input: Input, context: some OperationContext) async throws -> Output {
        Output()
    }
}
