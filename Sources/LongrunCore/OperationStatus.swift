/// Where an operation is in its life. The raw values are the contract's words and the
/// values stored in `operations.status`.
public enum OperationStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case pending
    case running
    case succeeded
    case failed
    case cancelled

    /// Terminal states never change again; the resource's `done` is true exactly here.
    public var isTerminal: Bool {
        switch self {
        case .pending, .running: false
        case .succeeded, .failed, .cancelled: true
        }
    }
}
