import AsyncHTTPClient
import Foundation
import LongrunCallbacks
import LongrunCore
import NIOCore
import NIOHTTP1

/// Sends one message and reports what the receiver said, without judging it: redirects
/// are not followed, the whole exchange has the send timeout, and only the first bytes
/// of the answer are read (they are kept for the attempt log).
struct WebhookSender: Sendable {
    /// What one try came to.
    struct Reply: Sendable {
        var status: Int?
        var excerpt: String?
        var error: String?
        var retryAfter: Duration?
        /// The SSRF guard refused the destination: sending again will not help.
        var refused = false
    }

    static let excerptLimit = 2048

    let client: HTTPClient
    let timeout: Duration
    let allowPrivateCallbacks: Bool

    /// One try, bounded as a whole by the send timeout: the name's resolution, the
    /// connection, the answer and the reading of its first bytes.
    func send(_ message: WebhookMessage) async -> Reply {
        do {
            return try await Self.within(timeout) { try await exchange(message) }
        } catch is SendTimedOut {
            return Reply(error: "no answer within the send timeout")
        } catch {
            return Reply(error: Self.describe(error))
        }
    }

    private func exchange(_ message: WebhookMessage) async throws -> Reply {
        guard var components = URLComponents(string: message.url), let host = components.host,
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else { return Reply(error: "the URL is not an absolute http or https URL", refused: true) }
        var headers = HTTPHeaders(message.headers.map { ($0.key, $0.value) })
        if message.guarded, !allowPrivateCallbacks {
            switch await CallbackDestination.judge(host: host) {
            case .refused:
                return Reply(
                    error: "refused: the host resolves to a loopback, private or reserved address", refused: true)
            case .unresolved:
                return Reply(error: "the host does not resolve")
            case .allowed(let address):
                // Plain HTTP connects to the address just judged, so a second lookup cannot
                // lead elsewhere; HTTPS keeps the name, whose certificate a rebound address
                // cannot present.
                if scheme == "http" {
                    headers.replaceOrAdd(name: "host", value: Self.authority(of: components))
                    components = Self.pinned(components, to: address)
                }
            }
        }
        guard let url = components.string else { return Reply(error: "the URL cannot be rebuilt", refused: true) }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers = headers
        request.body = .bytes(ByteBuffer(bytes: message.body))
        let response = try await client.execute(request, timeout: .milliseconds(timeout.inMilliseconds))
        var excerpt: [UInt8] = []
        for try await chunk in response.body {
            excerpt.append(contentsOf: chunk.readableBytesView.prefix(Self.excerptLimit - excerpt.count))
            if excerpt.count >= Self.excerptLimit { break }
        }
        let status = Int(response.status.code)
        return Reply(
            status: status, excerpt: excerpt.isEmpty ? nil : Self.text(excerpt),
            retryAfter: status == 429 || status == 503
                ? response.headers.first(name: "retry-after").flatMap(Self.retryAfter) : nil
        )
    }

    /// The `Host` header the URL implies: the name, and the port when one is written.
    static func authority(of components: URLComponents) -> String {
        let host = components.percentEncodedHost ?? components.host ?? ""
        return components.port.map { "\(host):\($0)" } ?? host
    }

    /// The URL with its host replaced by `address` (an IPv6 address in brackets).
    static func pinned(_ components: URLComponents, to address: String) -> URLComponents {
        var pinned = components
        if address.contains(":") {
            pinned.percentEncodedHost = "[\(address)]"
        } else {
            pinned.host = address
        }
        return pinned
    }

    struct SendTimedOut: Error {}

    /// `body`'s result, or ``SendTimedOut`` once `timeout` has passed (and `body` is cancelled).
    static func within<Value: Sendable>(
        _ timeout: Duration, _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw SendTimedOut() }
            return value
        }
    }

    /// Text PostgreSQL can store: valid UTF-8, no NUL.
    static func text(_ bytes: [UInt8]) -> String {
        // A NUL byte is never part of a longer UTF-8 sequence, so dropping the bytes
        // drops exactly the NUL characters.
        String(decoding: bytes.lazy.filter { $0 != 0 }, as: UTF8.self)
    }

    /// `Retry-After` as seconds or an HTTP date.
    static func retryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int64(trimmed), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .milliseconds(max(0, Int64(date.timeIntervalSinceNow * 1000)))
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError, error == .deadlineExceeded {
            return "no answer within the send timeout"
        }
        return "\(error)"
    }
}
