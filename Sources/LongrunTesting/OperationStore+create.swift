import LongrunCore

extension OperationStore {
    /// Creates an operation that must be new, for tests that only need one to exist.
    public func create(_ new: NewOperation) async throws -> OperationRecord {
        guard case .created(let operation) = try await createOperation(new) else {
            throw TestSupportError("\(new.id) was not created anew")
        }
        return operation
    }
}
