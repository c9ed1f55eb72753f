/// The status state machine of an operation, as a table of legal moves.
///
/// The store's statements make exactly these moves, each guarded by the status it moves
/// from (`WHERE status = 'running' AND lease_token = …`), and the schema's CHECKs keep
/// each status's fields consistent; this table is the one statement of the rules, tested
/// exhaustively and drawn in `docs/state-machine.md`. A worker's endings (succeed, fail,
/// retry, release) take their target status from ``apply(_:to:)``.
public enum OperationLifecycle {
    /// What can happen to an operation.
    public enum Event: Sendable, Hashable, CustomStringConvertible {
        /// A worker took the operation (its lease starts).
        case claim
        /// The handler returned a result.
        case succeed
        /// The handler failed for good, the deadline passed, or no attempts are left.
        case fail
        /// The handler failed with a retryable error and attempts remain.
        case retry
        /// The worker gave the operation back (graceful shutdown) before finishing it.
        case release
        /// Another worker found the lease expired; `attemptsLeft` decides between
        /// another try and `failed`/`worker_lost`.
        case rescue(attemptsLeft: Bool)
        /// A client cancelled it.
        case cancel
        /// Its deadline passed before any worker started it.
        case expire

        public var description: String {
            switch self {
            case .claim: "claim"
            case .succeed: "succeed"
            case .fail: "fail"
            case .retry: "retry"
            case .release: "release"
            case .rescue(let attemptsLeft): "rescue(attemptsLeft: \(attemptsLeft))"
            case .cancel: "cancel"
            case .expire: "expire"
            }
        }
    }

    /// Every event that can occur, for exhaustive tests and documentation.
    public static let allEvents: [Event] = [
        .claim, .succeed, .fail, .retry, .release, .rescue(attemptsLeft: true), .rescue(attemptsLeft: false), .cancel,
        .expire,
    ]

    /// The status after `event`, or an `illegalTransition` error naming both.
    public static func apply(_ event: Event, to status: OperationStatus) throws(LongrunError) -> OperationStatus {
        switch (status, event) {
        case (.pending, .claim): return .running
        case (.pending, .cancel): return .cancelled
        case (.pending, .expire): return .failed
        case (.running, .succeed): return .succeeded
        case (.running, .fail): return .failed
        case (.running, .retry), (.running, .release), (.running, .rescue(attemptsLeft: true)): return .pending
        case (.running, .rescue(attemptsLeft: false)): return .failed
        case (.running, .cancel): return .cancelled
        default:
            throw LongrunError(
                .illegalTransition,
                "an operation that is \(status.rawValue) cannot \(event)"
            )
        }
    }

    /// The pairs of statuses connected by at least one event.
    public static var legalMoves: Set<Move> {
        var moves = Set<Move>()
        for status in OperationStatus.allCases {
            for event in allEvents {
                if let next = try? apply(event, to: status) {
                    moves.insert(Move(from: status, to: next))
                }
            }
        }
        return moves
    }

    /// One edge of the state diagram.
    public struct Move: Hashable, Sendable {
        public var from: OperationStatus
        public var to: OperationStatus

        public init(from: OperationStatus, to: OperationStatus) {
            self.from = from
            self.to = to
        }
    }
}
