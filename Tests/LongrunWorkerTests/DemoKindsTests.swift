import LongrunCore
import LongrunTesting
import LongrunWorker
import Testing

@Suite struct DemoKindsTests {
    let registry = HandlerRegistry.demoKinds

    @Test func bothDemoKindsAreRegistered() {
        #expect(registry.kinds == ["demo.noop", "demo.sleep"])
    }

    @Test func noopReturnsAnEmptyObject() async throws {
        try registry.validate(kind: "demo.noop", input: .emptyObject)
        #expect(
            try await registry.run(kind: "demo.noop", input: .emptyObject, context: RecordingContext()) == .emptyObject)
    }

    @Test func sleepReportsEveryStepAndCheckpointsIt() async throws {
        let context = RecordingContext()
        let input = JSONValue.object(["seconds": .number(0.02), "steps": .integer(4)])
        let result = try await registry.run(kind: "demo.sleep", input: input, context: context)
        #expect(result == .object(["steps": .integer(4), "resumed_from": .integer(0)]))
        let recorded = context.recorded
        #expect(recorded.progress.map(\.percent) == [25, 50, 75, 100])
        #expect(recorded.progress.map(\.message) == ["step 1/4", "step 2/4", "step 3/4", "step 4/4"])
        #expect(recorded.logs.map(\.message) == ["step 1/4", "step 2/4", "step 3/4", "step 4/4"])
        #expect(recorded.checkpoint == .object(["step": .integer(4)]))
    }

    @Test func sleepResumesAfterTheCheckpointedStep() async throws {
        let context = RecordingContext(attempt: 2, checkpoint: .object(["step": .integer(3)]))
        let input = JSONValue.object(["seconds": .number(0.05), "steps": .integer(5)])
        let result = try await registry.run(kind: "demo.sleep", input: input, context: context)
        #expect(result == .object(["steps": .integer(5), "resumed_from": .integer(3)]))
        #expect(context.recorded.progress.map(\.message) == ["step 4/5", "step 5/5"])
    }

    @Test func sleepFailsAtTheAskedStepRetryablyOrNot() async throws {
        let retryable = RecordingContext()
        await #expect(throws: RetryableError.self) {
            try await registry.run(
                kind: "demo.sleep",
                input: .object([
                    "seconds": .integer(0), "steps": .integer(3), "fail_at_step": .integer(2),
                    "fail_retryable": .bool(true),
                ]),
                context: retryable
            )
        }
        #expect(retryable.recorded.checkpoint == .object(["step": .integer(1)]))

        await #expect(throws: (any Error).self) {
            try await registry.run(
                kind: "demo.sleep",
                input: .object(["seconds": .integer(0), "steps": .integer(3), "fail_at_step": .integer(1)]),
                context: RecordingContext()
            )
        }
    }

    @Test func sleepStopsWhenItsTaskIsCancelled() async throws {
        let context = RecordingContext()
        let task = Task {
            try await registry.run(
                kind: "demo.sleep", input: .object(["seconds": .integer(3600), "steps": .integer(2)]), context: context
            )
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(context.recorded.progress.isEmpty)
    }

    @Test(arguments: [
        (JSONValue.object([:]), "input.seconds"),
        (.object(["seconds": .string("ten")]), "input.seconds"),
        (.object(["seconds": .integer(-1)]), "input.seconds"),
        (.object(["seconds": .integer(1), "steps": .integer(0)]), "input.steps"),
        // Foundation's decoder names no field for a fraction where an integer belongs.
        (.object(["seconds": .integer(1), "steps": .number(2.5)]), "input"),
        (.object(["seconds": .integer(1), "steps": .integer(3), "fail_at_step": .integer(4)]), "input.fail_at_step"),
        (.object(["seconds": .integer(1), "fail_retryable": .string("yes")]), "input.fail_retryable"),
        (.array([]), "input"),
    ])
    func sleepRefusesBadInputNamingTheField(input: JSONValue, field: String) {
        let error = #expect(throws: InputValidationError.self) {
            try registry.validate(kind: "demo.sleep", input: input)
        }
        #expect(error?.errors.map(\.field) == [field])
    }

    @Test func anUnknownKindIsRefused() {
        let error = #expect(throws: LongrunError.self) { try registry.validate(kind: "demo.nope", input: .emptyObject) }
        #expect(error?.code == .invalidInput)
    }
}
