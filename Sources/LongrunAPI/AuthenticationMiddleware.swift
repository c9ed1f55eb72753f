import Foundation
import Hummingbird
import LongrunCore
import Synchronization

/// Finds the tenant of a request from `Authorization: Bearer <key>`, or answers 401.
/// With authentication off, every request acts for the tenant `default`.
///
/// A key that authenticated is remembered for `keyCacheLifetime`, by its hash, so a
/// client's requests cost one database round trip each instead of two; a revoked key
/// therefore works on a node for at most that long. Unknown keys are never remembered.
final class AuthenticationMiddleware<Store: OperationStore>: RouterMiddleware {
    let store: Store
    let mode: APIConfiguration.Authentication
    let keyCacheLifetime: Duration
    /// The `default` tenant once looked up, with authentication off.
    private let defaultTenant = Mutex<Tenant?>(nil)
    private let recentKeys = Mutex<[[UInt8]: (tenant: Tenant, until: ContinuousClock.Instant)]>([:])
    /// Keys remembered at most; past it the expired go, and if that is not enough, all.
    private static var recentKeysLimit: Int { 10_000 }

    init(store: Store, mode: APIConfiguration.Authentication, keyCacheLifetime: Duration) {
        self.store = store
        self.mode = mode
        self.keyCacheLifetime = keyCacheLifetime
    }

    func handle(
        _ request: Request, context: APIRequestContext,
        next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.tenant = try await tenant(of: request)
        return try await next(request, context)
    }

    private func tenant(of request: Request) async throws -> Tenant {
        switch mode {
        case .none:
            if let tenant = defaultTenant.withLock({ $0 }) { return tenant }
            let tenant = try await store.ensureTenant(named: "default")
            defaultTenant.withLock { $0 = tenant }
            return tenant
        case .apiKeys:
            guard let key = Self.bearerToken(request.headers[.authorization]) else {
                throw Self.unauthorized("Send an API key as `Authorization: Bearer <key>`.")
            }
            let presented = APIKey(text: key)
            let hash = presented.hash
            let now = ContinuousClock.now
            if let known = recentKeys.withLock({ $0[hash] }), known.until > now { return known.tenant }
            guard let tenant = try await store.tenant(authenticatedBy: presented) else {
                throw Self.unauthorized("The API key is not valid.")
            }
            remember(hash, tenant, now: now)
            return tenant
        }
    }

    private func remember(_ hash: [UInt8], _ tenant: Tenant, now: ContinuousClock.Instant) {
        guard keyCacheLifetime > .zero else { return }
        recentKeys.withLock { keys in
            if keys.count >= Self.recentKeysLimit {
                keys = keys.filter { $0.value.until > now }
                if keys.count >= Self.recentKeysLimit { keys = [:] }
            }
            keys[hash] = (tenant, now + keyCacheLifetime)
        }
    }

    /// The token of a `Bearer` credential; the scheme is case-insensitive (RFC 9110).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        // HTTP's optional whitespace is spaces and tabs; trimmed natively, since
        // Foundation's `trimmingCharacters` bridges through NSString on every request.
        let isOptionalWhitespace = { (character: Character) in character == " " || character == "\t" }
        var token = parts[1].drop(while: isOptionalWhitespace)
        while let last = token.last, isOptionalWhitespace(last) { token = token.dropLast() }
        return token.isEmpty || token.count > 512 ? nil : String(token)
    }

    static func unauthorized(_ detail: String) -> Problem {
        Problem(status: .unauthorized, title: "Unauthorized", detail: detail, headers: [.wwwAuthenticate: "Bearer"])
    }
}
