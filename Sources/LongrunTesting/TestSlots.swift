import Foundation

/// Bounds how much of the suite runs at once. Swift Testing starts every test together;
/// on a two-core machine two hundred tests with databases, workers and child processes
/// then starve each other, and the tests that need a heartbeat or an answer in time fail
/// for want of CPU rather than for a bug. A test takes slots before it starts its work
/// (the time it waits is not part of anything it measures) and gives them back at its end.
///
/// `LONGRUN_TEST_SLOTS` sets the capacity (default 8). A test that already holds slots
/// (its task or a parent's) takes none again, so nested use cannot deadlock.
public actor TestSlots {
    public static let shared = TestSlots(
        capacity: ProcessInfo.processInfo.environment["LONGRUN_TEST_SLOTS"].flatMap(Int.init).map { max($0, 1) }
            ?? 8)

    @TaskLocal private static var held = false

    public let capacity: Int
    private var free: Int
    private var waiting: [(weight: Int, continuation: CheckedContinuation<Void, Never>)] = []

    private init(capacity: Int) {
        self.capacity = capacity
        self.free = capacity
    }

    /// Runs `body` holding `weight` slots (at most the capacity): 1 for a test with a
    /// database of its own, more for one that starts a whole cluster of processes.
    public static func with<Result: Sendable>(
        weight: Int = 1, _ body: @Sendable () async throws -> Result
    ) async throws -> Result {
        if held { return try await body() }
        let weight = min(max(weight, 1), shared.capacity)
        await shared.take(weight)
        do {
            let result = try await $held.withValue(true) { try await body() }
            await shared.giveBack(weight)
            return result
        } catch {
            await shared.giveBack(weight)
            throw error
        }
    }

    private func take(_ weight: Int) async {
        if waiting.isEmpty && free >= weight {
            free -= weight
            return
        }
        await withCheckedContinuation { waiting.append((weight, $0)) }
    }

    /// Wakes waiters in arrival order while the first one fits, so a heavy test is not
    /// passed over for ever by light ones.
    private func giveBack(_ weight: Int) {
        free += weight
        while let first = waiting.first, first.weight <= free {
            free -= first.weight
            waiting.removeFirst()
            first.continuation.resume()
        }
    }
}
