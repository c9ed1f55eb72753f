import Foundation
import LongrunAPI
import Testing

/// The node's memory of keys it authenticated: one database round trip saved per
/// request, bounded by how long a revoked key may keep working.
struct AuthenticationTests {
    @Test func aKeyTheNodeAuthenticatedIsTrustedForItsCacheLifetime() async throws {
        try await APIHarness.run(configuration: .init(allowPrivateCallbacks: true, keyCacheLifetime: .seconds(600))) {
            api in
            #expect(try await api.send(.get, "/v1/operations").status == .ok)
            _ = try await api.database.rows("UPDATE api_keys SET revoked_at = now()")
            // Remembered: the revocation reaches this node only when the entry expires.
            #expect(try await api.send(.get, "/v1/operations").status == .ok)
            // A key this node never saw is checked, and refused (every key was revoked).
            #expect(try await api.send(.get, "/v1/operations", key: api.globex).status == .unauthorized)
        }
    }

    @Test func withoutTheCacheARevokedKeyIsRefusedAtOnce() async throws {
        try await APIHarness.run(configuration: .init(allowPrivateCallbacks: true, keyCacheLifetime: .zero)) { api in
            #expect(try await api.send(.get, "/v1/operations").status == .ok)
            _ = try await api.database.rows("UPDATE api_keys SET revoked_at = now()")
            #expect(try await api.send(.get, "/v1/operations").status == .unauthorized)
        }
    }

    @Test func unknownKeysAreRefusedEveryTime() async throws {
        try await APIHarness.run { api in
            for _ in 0..<3 {
                let response = try await api.send(.get, "/v1/operations", key: "lr_unknown")
                #expect(response.status == .unauthorized)
            }
        }
    }
}
