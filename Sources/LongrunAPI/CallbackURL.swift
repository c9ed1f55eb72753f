import Foundation
import LongrunCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checks a webhook target passes before it is stored: its form, and (unless the
/// operator allows private callbacks) that every address its host resolves to is
/// public. The notifier checks again at send time, against DNS rebinding.
enum CallbackURL {
    static let longest = 2048

    /// Why `text` is not a usable callback URL, or nil when it is.
    static func syntaxError(_ text: String) -> String? {
        guard text.count <= longest else { return "must be at most \(longest) characters" }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { return "must be an absolute http or https URL" }
        guard scheme == "http" || scheme == "https" else { return "must use http or https" }
        guard components.user == nil, components.password == nil else {
            return "must not carry credentials; use ouro-webhook-token or the signature instead"
        }
        return nil
    }

    /// Refuses (422) a URL whose host resolves to any non-public address, or does not
    /// resolve at all.
    static func checkDestination(_ text: String, field: String) async throws(Problem) {
        guard let host = URLComponents(string: text)?.host else { return }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = await resolve(bare)
        guard !addresses.isEmpty else {
            throw Problem.unprocessable([.init(field: field, message: "names a host that does not resolve")])
        }
        guard addresses.allSatisfy(CallbackAddressPolicy.isPublic) else {
            throw Problem.unprocessable([
                .init(
                    field: field,
                    message: "resolves to a loopback, private or reserved address, which webhooks may not reach"
                )
            ])
        }
    }

    /// Every address `host` resolves to (numeric forms included: getaddrinfo reads the
    /// odd IPv4 spellings, hex, octal and single numbers, the way a client would).
    private static func resolve(_ host: String) async -> [[UInt8]] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var list: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &list) == 0 else {
                    continuation.resume(returning: [])
                    return
                }
                defer { freeaddrinfo(list) }
                var addresses: [[UInt8]] = []
                var entry = list
                while let current = entry {
                    if let address = current.pointee.ai_addr {
                        switch Int32(address.pointee.sa_family) {
                        case AF_INET:
                            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                                addresses.append(withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) })
                            }
                        case AF_INET6:
                            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                                addresses.append(withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) })
                            }
                        default: break
                        }
                    }
                    entry = current.pointee.ai_next
                }
                continuation.resume(returning: addresses)
            }
        }
    }
}
