import Crypto
import Foundation
import LongrunCore
import Testing

@Suite struct SecretsTests {
    @Test func apiKeysAreLongRandomAndHashedWithSHA256() {
        let key = APIKey.generate()
        #expect(key.text.hasPrefix("lr_"))
        #expect(key.text.count == 3 + 43)
        #expect(key.text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
        #expect(key.hash == Array(SHA256.hash(data: Array(key.text.utf8))))
        #expect(APIKey.generate() != key)
    }

    @Test func apiKeysNeverPrintThemselves() {
        let key = APIKey.generate()
        #expect(!"\(key)".contains(key.text))
        #expect("\(key)".hasPrefix(key.displayPrefix))
        #expect(!key.displayPrefix.isEmpty && key.displayPrefix.count < 12)
    }

    @Test func webhookSecretsCarryA32ByteKey() throws {
        let secret = WebhookSecret.generate()
        #expect(secret.text.hasPrefix("whsec_"))
        #expect(secret.key.count == 32)
        #expect(WebhookSecret(secret.text) == secret)
        #expect(!"\(secret)".contains(secret.text))
    }

    @Test func theSpecsTestSecretDecodes() throws {
        let secret = try #require(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(Data(secret.key).base64EncodedString() == "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    }

    @Test(arguments: ["", "whsec_", "whsec_not base64!", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "sk_abc"])
    func malformedWebhookSecretsAreRefused(text: String) {
        #expect(WebhookSecret(text) == nil)
    }

    @Test func ouroTokensAreLeftOutOfDescriptions() {
        let context = OuroContext(webhookURL: "https://example.com/hook", webhookToken: "s3cret-token", actionID: "a1")
        #expect(!"\(context)".contains("s3cret-token"))
        #expect("\(context)".contains("a1"))
    }
}
