import Hummingbird
import LongrunCore

/// The request context of the API: Hummingbird's, plus the tenant the request acts for.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` on every authenticated route.
    public var tenant: Tenant?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// The tenant, for handlers behind the authentication middleware.
    func requireTenant() throws -> Tenant {
        guard let tenant else {
            throw Problem(status: .unauthorized, title: "Unauthorized", detail: "This route needs an API key.")
        }
        return tenant
    }
}
