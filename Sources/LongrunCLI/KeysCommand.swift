import ArgumentParser
import Foundation
import Logging
import LongrunCore
import LongrunPostgres

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API keys.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key for a tenant (and the tenant, if new); the key is shown only now."
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The tenant's name.")
        var tenant: String

        @Flag(help: "Print {\"tenant\", \"api_key\", \"webhook_secret\"} instead of two lines.")
        var json = false

        func validate() throws {
            guard (1...200).contains(tenant.count) else {
                throw ValidationError("--tenant must be 1 to 200 characters")
            }
        }

        func run() async throws {
            let logger = Logger(label: "longrun.keys")
            let issued = try await withPostgresStore(url: try database.requiredURL(), logger: logger) { store in
                try await IssuedKey.create(tenant: tenant, store: store)
            }
            print(json ? try issued.json() : issued.lines)
        }
    }
}

/// A new API key with the tenant's webhook secret: what `keys create` and `dev` print.
struct IssuedKey: Encodable {
    var tenant: String
    var apiKey: String
    var webhookSecret: String

    enum CodingKeys: String, CodingKey {
        case tenant
        case apiKey = "api_key"
        case webhookSecret = "webhook_secret"
    }

    static func create(tenant name: String, store: PostgresStore) async throws -> IssuedKey {
        let tenant = try await store.ensureTenant(named: name)
        let key = APIKey.generate()
        try await store.addAPIKey(key, tenantID: tenant.id)
        return IssuedKey(tenant: tenant.name, apiKey: key.text, webhookSecret: tenant.webhookSecret.text)
    }

    /// The two lines of the contract.
    var lines: String { "api_key: \(apiKey)\nwebhook_secret: \(webhookSecret)" }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
