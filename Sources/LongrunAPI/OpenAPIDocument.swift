import Foundation
import LongrunCore

/// The OpenAPI 3.1 document served at `/openapi.yaml`: `openapi.yaml` of the repository,
/// bundled into the binary, with what is this node's configuration filled in: the kinds
/// it runs (an `enum` on `kind`, so clients and fuzzers learn them) and its kind routes.
/// Async mounts carry `x-ouro-execution-mode: async`, which is how the Ouro platform
/// learns that a route answers 202 and calls back.
enum OpenAPIDocument {
    static func render(kinds: [String], mounts: [APIConfiguration.KindMount]) throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw LongrunError(.environment, "openapi.yaml is missing from this build")
        }
        var document = try String(contentsOf: url, encoding: .utf8)
        // The kinds' `enum` follows the pattern line of `CreateOperationRequest.kind`.
        guard let pattern = document.range(of: "\n          pattern: \"^[A-Za-z0-9._-]{1,200}$\"\n") else {
            throw LongrunError(.environment, "openapi.yaml of this build lacks CreateOperationRequest.kind")
        }
        if !kinds.isEmpty {
            // JSON strings are YAML flow scalars, whatever a kind's name holds.
            let names = kinds.map { JSONValue.string($0).jsonText }.joined(separator: ", ")
            document.insert(contentsOf: "          enum: [\(names)]\n", at: pattern.upperBound)
        }
        guard !mounts.isEmpty, let paths = document.range(of: "\npaths:\n") else { return document }
        return document.replacingCharacters(in: paths, with: "\npaths:\n" + mounts.map(pathItem).joined())
    }

    private static func pathItem(_ mount: APIConfiguration.KindMount) -> String {
        let name = (mount.path + "_" + mount.kind).map { $0.isLetter || $0.isNumber ? $0 : "_" }
        return """
              "\(mount.path)":
                post:
                  operationId: mount\(String(name))
                  summary: Create a \(mount.kind) operation; the whole body is its input
            \(mount.requiresWebhook ? "      x-ouro-execution-mode: async\n" : "")\
                  description: \(mount.requiresWebhook
                      ? "Requires ouro-webhook-url or callback_url; without either it answers 400."
                      : "A webhook is optional.")
                  parameters:
                    - $ref: "#/components/parameters/IdempotencyKey"
                    - $ref: "#/components/parameters/CallbackURLQuery"
                    - $ref: "#/components/parameters/OuroWebhookURL"
                    - $ref: "#/components/parameters/OuroWebhookToken"
                    - $ref: "#/components/parameters/OuroActionID"
                    - $ref: "#/components/parameters/OuroRouteID"
                    - $ref: "#/components/parameters/OuroRouteOrgID"
                    - $ref: "#/components/parameters/OuroRouteTeamID"
                  requestBody:
                    content:
                      application/json:
                        schema:
                          $ref: "#/components/schemas/StorableJSON"
                  responses:
                    "202":
                      $ref: "#/components/responses/Accepted"
                    "400":
                      $ref: "#/components/responses/Problem"
                    "401":
                      $ref: "#/components/responses/Unauthorized"
                    "413":
                      $ref: "#/components/responses/Problem"
                    "422":
                      $ref: "#/components/responses/Problem"
                    "503":
                      $ref: "#/components/responses/Unavailable"

            """
    }
}
