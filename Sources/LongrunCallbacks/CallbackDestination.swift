import Foundation
import LongrunCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a callback URL leads, judged by the addresses its host resolves to now. The
/// API asks when an operation is created; the notifier asks again before every send,
/// because a name can resolve elsewhere by then (DNS rebinding).
public enum CallbackDestination: Sendable, Hashable {
    /// Every address is public; `address` is the one to connect to.
    case allowed(address: String)
    /// Some address is loopback, private or reserved.
    case refused
    /// The host does not resolve (now).
    case unresolved

    /// Judges the host of `url` (a bracketed IPv6 literal included).
    public static func judge(host: String) async -> CallbackDestination {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = await resolve(bare)
        guard let first = addresses.first else { return .unresolved }
        guard addresses.allSatisfy({ CallbackAddressPolicy.isPublic($0.bytes) }) else { return .refused }
        return .allowed(address: first.text)
    }

    /// Every address `host` resolves to (numeric forms included: getaddrinfo reads the
    /// odd IPv4 spellings, hex, octal and single numbers, the way a client would).
    /// Foundation and NIO offer no resolver that returns addresses, hence getaddrinfo.
    private static func resolve(_ host: String) async -> [(bytes: [UInt8], text: String)] {
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
                var addresses: [(bytes: [UInt8], text: String)] = []
                var entry = list
                while let current = entry {
                    if let address = current.pointee.ai_addr {
                        switch Int32(address.pointee.sa_family) {
                        case AF_INET:
                            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                                var raw = $0.pointee.sin_addr
                                addresses.append((withUnsafeBytes(of: raw) { Array($0) }, text(AF_INET, &raw)))
                            }
                        case AF_INET6:
                            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                                var raw = $0.pointee.sin6_addr
                                addresses.append((withUnsafeBytes(of: raw) { Array($0) }, text(AF_INET6, &raw)))
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

    private static func text<Address>(_ family: Int32, _ address: inout Address) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(family, &address, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
