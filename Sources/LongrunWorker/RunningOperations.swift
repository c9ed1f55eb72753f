import Foundation
import LongrunCore
import Synchronization

/// The runs in a worker's slots, by operation id.
final class RunningOperations: Sendable {
    private let runs = Mutex<[UUID: OperationRun]>([:])

    /// Adds a run; returns how many slots are busy now.
    func insert(_ run: OperationRun) -> Int {
        runs.withLock { runs in
            runs[run.operation.id] = run
            return runs.count
        }
    }

    /// Removes a run; returns how many slots are busy now.
    func remove(_ run: OperationRun) -> Int {
        runs.withLock { runs in
            runs[run.operation.id] = nil
            return runs.count
        }
    }

    var count: Int { runs.withLock { $0.count } }

    var all: [OperationRun] { runs.withLock { Array($0.values) } }

    func running(_ ids: some Sequence<UUID>) -> [OperationRun] {
        runs.withLock { runs in ids.compactMap { runs[$0] } }
    }

    func holding(leaseTokens tokens: Set<UUID>) -> [OperationRun] {
        runs.withLock { runs in runs.values.filter { tokens.contains($0.operation.leaseToken) } }
    }
}
