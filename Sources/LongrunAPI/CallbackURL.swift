import Foundation
import LongrunCallbacks
import LongrunCore

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
        switch await CallbackDestination.judge(host: host) {
        case .allowed: return
        case .unresolved:
            throw Problem.unprocessable([.init(field: field, message: "names a host that does not resolve")])
        case .refused:
            throw Problem.unprocessable([
                .init(
                    field: field,
                    message: "resolves to a loopback, private or reserved address, which webhooks may not reach"
                )
            ])
        }
    }
}
