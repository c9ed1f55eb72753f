/// Runs `write` until it succeeds or `giveUpAfter` has passed, pausing between tries
/// (50 ms, doubling to 2 s) and telling `onFailure` of each failure. What background
/// writers do when the database blinks (a cancelled task gives up at once): the work they carry is still worth writing
/// for as long as the lease or claim it belongs to lasts. Returns whether it was written.
public func persistently(
    for giveUpAfter: Duration, onFailure: (any Error) -> Void, _ write: () async throws -> Void
) async -> Bool {
    let started = ContinuousClock.now
    var pause = Duration.milliseconds(50)
    while true {
        do {
            try await write()
            return true
        } catch {
            onFailure(error)
            // A cancelled task's queries fail at once: trying again would only spin.
            guard ContinuousClock.now - started < giveUpAfter, !Task.isCancelled else { return false }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
        }
    }
}
