import Foundation
import LongrunCore

/// The opaque `page_token` of listings: where the previous page ended. Clients pass it
/// back untouched; its form may change between versions.
enum PageToken {
    private static let version = "o1:"

    static func make(after id: UUID) -> String {
        Data((version + id.lowercasedText).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The id the token points after, or nil for a token this server did not make.
    static func read(_ token: String) -> UUID? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard token.count <= 64, let data = Data(base64Encoded: base64),
            let text = String(data: data, encoding: .utf8), text.hasPrefix(version)
        else { return nil }
        return UUID(uuidString: String(text.dropFirst(version.count)))
    }
}
