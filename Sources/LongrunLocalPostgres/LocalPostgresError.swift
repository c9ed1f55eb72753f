/// Why the private server could not be started or stopped, in words for the person
/// who ran `longrun dev` or the tests.
public struct LocalPostgresError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
