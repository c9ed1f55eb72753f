import Foundation
import LongrunCore

/// The OpenAPI 3.1 document served at `/openapi.yaml`: `openapi.yaml` of the repository,
/// bundled into the binary, with this node's kind routes added, since they are
/// configuration. Async mounts carry `x-ouro-execution-mode: async`, which is how the
/// Ouro platform learns that a route answers 202 and calls back.
enum OpenAPIDocument {
    static func render(mounts: [APIConfiguration.KindMount]) throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw LongrunError(.environment, "openapi.yaml is missing from this build")
        }
        let document = try String(contentsOf: url, encoding: .utf8)
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
                        schema: {}
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
