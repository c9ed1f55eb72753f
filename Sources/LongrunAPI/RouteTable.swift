import Hummingbird
import Synchronization

/// The routes an API node serves, by method and path pattern: what tells a 405 (the
/// path exists, the method does not) from a 404, which Hummingbird's router does not.
/// Filled while routes are registered, read while requests are served.
public final class RouteTable: Sendable {
    private let routes = Mutex<[(method: HTTPRequest.Method, segments: [Substring])]>([])

    public init() {}

    /// Every route as `METHOD /path/{parameter}`, sorted.
    public var all: [String] {
        routes.withLock { $0.map { "\($0.method.rawValue) /\($0.segments.joined(separator: "/"))" }.sorted() }
    }

    func add(_ method: HTTPRequest.Method, _ pattern: String) {
        routes.withLock { $0.append((method, pattern.split(separator: "/"))) }
    }

    /// The methods served at `path`, empty when no route matches it. Where several
    /// patterns match, only the most literal count, as the router picks them:
    /// `/v1/operations/1:cancel` is `{id}:cancel`'s path, not `{id}`'s.
    func methods(at path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        let matching = routes.withLock { routes in routes.filter { Self.matches(segments, $0.segments) } }
        let mostLiteral = matching.map { Self.literalLength($0.segments) }.max()
        return matching.filter { Self.literalLength($0.segments) == mostLiteral }.map(\.method)
    }

    /// How many characters of a pattern are not parameters.
    private static func literalLength(_ pattern: [Substring]) -> Int {
        pattern.reduce(0) { total, part in
            guard part.first == "{", let close = part.firstIndex(of: "}") else { return total + part.count }
            return total + part[part.index(after: close)...].count
        }
    }

    private static func matches(_ segments: [Substring], _ pattern: [Substring]) -> Bool {
        guard segments.count == pattern.count else { return false }
        return zip(segments, pattern).allSatisfy { segment, part in
            guard part.first == "{", let close = part.firstIndex(of: "}") else { return segment == part }
            let suffix = part[part.index(after: close)...]
            return segment.count > suffix.count && segment.hasSuffix(suffix)
        }
    }
}
