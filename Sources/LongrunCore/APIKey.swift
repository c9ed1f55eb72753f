import Crypto
import Foundation

/// API keys: `lr_` + 32 random bytes in unpadded base64url, shown once and stored only
/// as their SHA-256.
///
/// A fast hash is the right one here: the key carries 256 bits of randomness, so there
/// is nothing to brute-force, and every request must verify one. A slow password hash
/// (bcrypt, argon2) would only add latency.
public struct APIKey: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "lr_"

    /// The full key as the client sends it in `Authorization: Bearer`.
    public let text: String

    public init(text: String) {
        self.text = text
    }

    public static func generate() -> APIKey {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return APIKey(text: prefix + encoded)
    }

    /// What the database stores and looks keys up by.
    public var hash: [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    /// The first characters, kept beside the hash so operators can tell keys apart
    /// without being able to use them.
    public var displayPrefix: String { String(text.prefix(Self.prefix.count + 6)) }

    public var description: String { "\(displayPrefix)…<redacted>" }
}
