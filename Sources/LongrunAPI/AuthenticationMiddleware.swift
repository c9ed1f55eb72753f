import Foundation
import Hummingbird
import LongrunCore
import Synchronization

/// Finds the tenant of a request from `Authorization: Bearer <key>`, or answers 401.
/// With authentication off, every request acts for the tenant `default`.
final class AuthenticationMiddleware<Store: OperationStore>: RouterMiddleware {
    let store: Store
    let mode: APIConfiguration.Authentication
    /// The `default` tenant once looked up, with authentication off.
    private let defaultTenant = Mutex<Tenant?>(nil)

    init(store: Store, mode: APIConfiguration.Authentication) {
        self.store = store
        self.mode = mode
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
            guard let tenant = try await store.tenant(authenticatedBy: APIKey(text: key)) else {
                throw Self.unauthorized("The API key is not valid.")
            }
            return tenant
        }
    }

    /// The token of a `Bearer` credential; the scheme is case-insensitive (RFC 9110).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.count > 512 ? nil : token
    }

    static func unauthorized(_ detail: String) -> Problem {
        Problem(status: .unauthorized, title: "Unauthorized", detail: detail, headers: [.wwwAuthenticate: "Bearer"])
    }
}
