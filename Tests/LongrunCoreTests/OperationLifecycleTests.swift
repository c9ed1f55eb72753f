import LongrunCore
import Testing

@Suite struct OperationLifecycleTests {
    typealias Event = OperationLifecycle.Event

    /// The contract's state machine, written out independently of the implementation.
    static let expected: [OperationStatus: [Event: OperationStatus]] = [
        .pending: [.claim: .running, .cancel: .cancelled, .expire: .failed],
        .running: [
            .succeed: .succeeded, .fail: .failed, .retry: .pending, .release: .pending,
            .rescue(attemptsLeft: true): .pending, .rescue(attemptsLeft: false): .failed, .cancel: .cancelled,
        ],
        .succeeded: [:],
        .failed: [:],
        .cancelled: [:],
    ]

    @Test(arguments: OperationStatus.allCases)
    func everyEventFromEveryStatus(status: OperationStatus) throws {
        for event in OperationLifecycle.allEvents {
            if let next = Self.expected[status]?[event] {
                #expect(try OperationLifecycle.apply(event, to: status) == next, "\(status) on \(event)")
            } else {
                let error = #expect(throws: LongrunError.self, "\(status) on \(event) must be refused") {
                    try OperationLifecycle.apply(event, to: status)
                }
                #expect(error?.code == .illegalTransition)
                #expect(error?.message.contains(status.rawValue) == true)
            }
        }
    }

    @Test func terminalStatesNeverChangeAndAreExactlyTheDoneOnes() throws {
        for status in OperationStatus.allCases {
            #expect(status.isTerminal == [.succeeded, .failed, .cancelled].contains(status))
            if status.isTerminal {
                #expect(OperationLifecycle.legalMoves.allSatisfy { $0.from != status })
            }
        }
    }

    @Test func legalMovesAreTheContractsEdges() {
        typealias Move = OperationLifecycle.Move
        #expect(
            OperationLifecycle.legalMoves == [
                Move(from: .pending, to: .running), Move(from: .pending, to: .cancelled),
                Move(from: .pending, to: .failed), Move(from: .running, to: .succeeded),
                Move(from: .running, to: .failed), Move(from: .running, to: .pending),
                Move(from: .running, to: .cancelled),
            ]
        )
    }
}
