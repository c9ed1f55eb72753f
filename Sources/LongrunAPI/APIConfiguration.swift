/// What an API node needs to know, filled from flags and environment by the CLI.
public struct APIConfiguration: Sendable {
    public enum Authentication: Sendable, Hashable {
        /// `Authorization: Bearer <key>` on every `/v1` and kind route (the default).
        case apiKeys
        /// No keys: every request acts for the tenant `default`. For local experiments.
        case none
    }

    /// A kind served at a path of its own, where the whole body is the input.
    public struct KindMount: Sendable, Hashable {
        public var path: String
        public var kind: String
        /// Whether a webhook (`ouro-webhook-url` or `callback_url`) is required.
        public var requiresWebhook: Bool

        public init(path: String, kind: String, requiresWebhook: Bool) {
            self.path = path
            self.kind = kind
            self.requiresWebhook = requiresWebhook
        }
    }

    public var host: String
    public var port: Int
    public var authentication: Authentication
    /// Callback URLs on loopback and private networks are refused unless this is set.
    public var allowPrivateCallbacks: Bool
    public var mounts: [KindMount]
    /// Request bodies larger than this are refused with 413.
    public var bodyLimit: Int
    /// How long an `Idempotency-Key` is remembered.
    public var idempotencyKeyLifetime: Duration
    /// How long `/readyz` waits for the database before calling it unreachable.
    public var readinessTimeout: Duration
    /// Long polls and event streams this node holds at once; past it they answer 503.
    public var maxWatchers: Int
    /// An idle event stream sends a comment this often, so proxies keep it open.
    public var eventHeartbeat: Duration
    /// How long a node trusts a key it has authenticated before asking the database
    /// again: also how long a revoked key keeps working on it. Zero asks every time.
    public var keyCacheLifetime: Duration
    /// A connection without a request for this long is closed; so is one whose request
    /// head takes longer than this to arrive. Longer than a balancer's keep-alive, so
    /// the balancer, not the node, closes an idle connection (no request meets a close).
    public var idleTimeout: Duration
    /// A request body must arrive in full within this long of its head.
    public var requestReadTimeout: Duration

    public init(
        host: String = "127.0.0.1", port: Int = 8080, authentication: Authentication = .apiKeys,
        allowPrivateCallbacks: Bool = false, mounts: [KindMount] = [], bodyLimit: Int = 1 << 20,
        idempotencyKeyLifetime: Duration = .seconds(24 * 3600), readinessTimeout: Duration = .seconds(2),
        maxWatchers: Int = 10_000, eventHeartbeat: Duration = .seconds(15), keyCacheLifetime: Duration = .seconds(5),
        idleTimeout: Duration = .seconds(75), requestReadTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.authentication = authentication
        self.allowPrivateCallbacks = allowPrivateCallbacks
        self.mounts = mounts
        self.bodyLimit = bodyLimit
        self.idempotencyKeyLifetime = idempotencyKeyLifetime
        self.readinessTimeout = readinessTimeout
        self.maxWatchers = maxWatchers
        self.eventHeartbeat = eventHeartbeat
        self.keyCacheLifetime = keyCacheLifetime
        self.idleTimeout = idleTimeout
        self.requestReadTimeout = requestReadTimeout
    }
}
