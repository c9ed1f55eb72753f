import Crypto
import Foundation

/// The Standard Webhooks signature: `v1,` + base64 of HMAC-SHA256 over
/// `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the tenant's secret. Receivers
/// verify it with any Standard Webhooks library and reject stale timestamps.
public enum WebhookSignature {
    public static func sign(id: String, timestamp: Int64, body: [UInt8], secret: WebhookSecret) -> String {
        var signed = Array("\(id).\(timestamp).".utf8)
        signed.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret.key))
        return "v1," + Data(code).base64EncodedString()
    }
}
