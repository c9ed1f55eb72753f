import LongrunCore

/// `demo.sleep`: sleeps `seconds` in `steps` equal steps, reporting progress and
/// checkpointing each step, so it shows off progress, resumption, failure and
/// cancellation without doing real work.
public struct DemoSleep: OperationHandler {
    public static let kind = "demo.sleep"

    /// A week: long enough for any demonstration, short enough to catch a typo.
    static let longestSleep = 7 * 24 * 3600.0
    static let mostSteps = 10_000

    public struct Input: Codable, Sendable {
        public var seconds: Double
        public var steps: Int?
        /// Fail when this step is reached (1-based).
        public var failAtStep: Int?
        /// Whether that failure is worth another attempt.
        public var failRetryable: Bool?

        enum CodingKeys: String, CodingKey {
            case seconds, steps
            case failAtStep = "fail_at_step"
            case failRetryable = "fail_retryable"
        }

        public init(seconds: Double, steps: Int? = nil, failAtStep: Int? = nil, failRetryable: Bool? = nil) {
            self.seconds = seconds
            self.steps = steps
            self.failAtStep = failAtStep
            self.failRetryable = failRetryable
        }
    }

    public struct Output: Codable, Sendable, Equatable {
        public var steps: Int
        /// The last step an earlier attempt had finished (0 on a fresh start).
        public var resumedFrom: Int

        enum CodingKeys: String, CodingKey {
            case steps
            case resumedFrom = "resumed_from"
        }
    }

    /// What a checkpoint holds: the last finished step.
    struct Checkpoint: Codable, Sendable {
        var step: Int
    }

    public init() {}

    public func validate(_ input: Input) throws(InputValidationError) {
        var errors: [InputValidationError.FieldError] = []
        if !(0...Self.longestSleep).contains(input.seconds) {
            errors.append(.init(field: "input.seconds", message: "must be from 0 to \(Int(Self.longestSleep))"))
        }
        let steps = input.steps ?? 10
        if !(1...Self.mostSteps).contains(steps) {
            errors.append(.init(field: "input.steps", message: "must be from 1 to \(Self.mostSteps)"))
        } else if let failAt = input.failAtStep, !(1...steps).contains(failAt) {
            errors.append(.init(field: "input.fail_at_step", message: "must be from 1 to steps (\(steps))"))
        }
        if !errors.isEmpty { throw InputValidationError(errors) }
    }

    public func run(_ input: Input, context: some OperationContext) async throws -> Output {
        let steps = input.steps ?? 10
        let resumedFrom = try await context.loadCheckpoint(as: Checkpoint.self)?.step ?? 0
        for step in stride(from: resumedFrom + 1, through: steps, by: 1) {
            try await Task.sleep(for: .seconds(input.seconds / Double(steps)))
            if step == input.failAtStep {
                let message = "failed at step \(step)/\(steps) as asked"
                if input.failRetryable == true { throw RetryableError(message) }
                throw DemoFailure(message: message)
            }
            try await context.reportProgress(100 * step / steps, message: "step \(step)/\(steps)")
            try await context.saveCheckpoint(Checkpoint(step: step))
        }
        return Output(steps: steps, resumedFrom: resumedFrom)
    }
}

/// The non-retryable failure `fail_at_step` asks for.
struct DemoFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
