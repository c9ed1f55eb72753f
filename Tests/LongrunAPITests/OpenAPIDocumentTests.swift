import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LongrunAPI
import LongrunTesting
import Subprocess
import Testing

/// The served document is valid OpenAPI 3.1 (checked by an independent validator,
/// openapi-spec-validator), names exactly the routes the node serves and the kinds it runs.
@Suite struct OpenAPIDocumentTests {
    @Test func theServedDocumentIsValidAndNamesEveryRouteTheServerHas() async throws {
        let configuration = APIConfiguration(
            mounts: [
                .init(path: "/process", kind: "demo.sleep", requiresWebhook: true),
                .init(path: "/noop", kind: "demo.noop", requiresWebhook: false),
            ]
        )
        try await APIHarness.run(configuration: configuration) { api in
            let response = try await api.client.execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml")
            let document = String(buffer: response.body)

            let checked = try await Subprocess.run(
                .name("python3"),
                arguments: ["-c", Self.validator],
                input: .string(document),
                output: .string(limit: 1 << 20),
                error: .string(limit: 1 << 20)
            )
            #expect(checked.terminationStatus == .exited(0), "\(checked.standardError)")
            let described = checked.standardOutput.split(separator: "\n").map(String.init).sorted()
            #expect(described == api.routes.all)
            #expect(described.contains("POST /process") && described.contains("POST /v1/operations/{id}:cancel"))
            #expect(document.contains("x-ouro-execution-mode: async"))
        }
    }

    /// Validates the document on standard input and prints `METHOD /path` per operation;
    /// the path parameters are spelled as the server's routes spell them, and the
    /// async marker must sit on the async mount only.
    static let validator = #"""
        import sys, yaml
        from openapi_spec_validator import validate
        document = yaml.safe_load(sys.stdin.read())
        validate(document)
        assert document["openapi"].startswith("3.1")
        assert document["paths"]["/process"]["post"].get("x-ouro-execution-mode") == "async"
        assert "x-ouro-execution-mode" not in document["paths"]["/noop"]["post"]
        kind = document["components"]["schemas"]["CreateOperationRequest"]["properties"]["kind"]
        assert kind["enum"] == ["demo.noop", "demo.sleep"], kind
        for path, item in document["paths"].items():
            for method in ("get", "post", "put", "patch", "delete"):
                if method in item:
                    print(method.upper(), path)
        """#
}
