import Foundation

/// A tenant's Standard Webhooks signing secret, `whsec_` + base64 of the HMAC key.
///
/// Unlike API keys it cannot be stored as a hash: the notifier needs the key itself to
/// sign. `description` redacts it so it never reaches a log by interpolation.
public struct WebhookSecret: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "whsec_"

    /// The full `whsec_…` text, as shown to the tenant once and stored.
    public let text: String

    /// Accepts the `whsec_<base64>` form only; the key must decode and not be empty.
    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix), let key = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))),
            !key.isEmpty
        else { return nil }
        self.text = text
    }

    /// A fresh secret with a 32-byte key (the spec asks for 24 to 64).
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return WebhookSecret(Self.prefix + Data(key).base64EncodedString())!
    }

    /// The HMAC key: the base64-decoded part after `whsec_`.
    public var key: [UInt8] {
        [UInt8](Data(base64Encoded: String(text.dropFirst(Self.prefix.count)))!)
    }

    public var description: String { "whsec_<redacted>" }
}
