import ArgumentParser
import LongrunAPI
import LongrunCore

/// Flags of the processes that serve HTTP.
struct APIOptions: ParsableArguments {
    @Option(help: "Listen address (env: LONGRUN_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Listen port (env: LONGRUN_PORT; default 8080).")
    var port: Int?

    @Option(help: "keys, or none for no API keys (env: LONGRUN_AUTH; default keys).")
    var auth: AuthenticationFlag?

    @Option(help: "Serve a kind at a path of its own, body = input: PATH=KIND (repeatable; env: LONGRUN_MOUNT).")
    var mount: [KindMountFlag] = []

    @Option(help: "The same, and a webhook is required: PATH=KIND (repeatable; env: LONGRUN_MOUNT_ASYNC).")
    var mountAsync: [KindMountFlag] = []

    @Option(help: "How long an Idempotency-Key is kept (env: LONGRUN_IDEMPOTENCY_KEY_LIFETIME; default 24h).")
    var idempotencyKeyLifetime: DurationFlag?

    @Option(help: "Long polls and event streams held at once, then 503 (env: LONGRUN_MAX_WATCHERS; default 10000).")
    var maxWatchers: Int?

    @Option(
        help:
            "How long an authenticated key is trusted before it is checked again (env: LONGRUN_KEY_CACHE_LIFETIME; default 5s)."
    )
    var keyCacheLifetime: DurationFlag?

    @Option(
        help:
            "A connection with no request for this long, or sending a request's head this slowly, is closed (env: LONGRUN_IDLE_TIMEOUT; default 75s, above the 60 s of common balancers)."
    )
    var idleTimeout: DurationFlag?

    @Option(
        help:
            "A request's body must arrive within this long of its head, or the connection is closed (env: LONGRUN_REQUEST_READ_TIMEOUT; default 30s)."
    )
    var requestReadTimeout: DurationFlag?

    /// The configuration from flags and environment; `developing` turns on what
    /// `longrun dev` defaults to (private callbacks allowed).
    func configuration(callbacks: CallbackOptions, developing: Bool = false) throws -> APIConfiguration {
        let port = try Setting.resolve(port, environment: "LONGRUN_PORT", default: 8080)
        guard (0...65535).contains(port) else { throw ValidationError("the port must be 0 to 65535") }
        let mounts =
            try Setting.list(mount, environment: "LONGRUN_MOUNT").map { $0.mount(requiresWebhook: false) }
            + (try Setting.list(mountAsync, environment: "LONGRUN_MOUNT_ASYNC").map { $0.mount(requiresWebhook: true) })
        let maxWatchers = try Setting.resolve(maxWatchers, environment: "LONGRUN_MAX_WATCHERS", default: 10_000)
        guard (1...1_000_000).contains(maxWatchers) else {
            throw ValidationError("--max-watchers must be 1 to 1000000")
        }
        let idleTimeout = try Setting.resolve(
            idleTimeout, environment: "LONGRUN_IDLE_TIMEOUT", default: DurationFlag(duration: .seconds(75))
        ).duration
        let requestReadTimeout = try Setting.resolve(
            requestReadTimeout, environment: "LONGRUN_REQUEST_READ_TIMEOUT",
            default: DurationFlag(duration: .seconds(30))
        ).duration
        guard idleTimeout > .zero, requestReadTimeout > .zero else {
            throw ValidationError("--idle-timeout and --request-read-timeout must be above zero")
        }
        return APIConfiguration(
            host: try Setting.resolve(host, environment: "LONGRUN_HOST", default: "127.0.0.1"),
            port: port,
            authentication: try Setting.resolve(auth, environment: "LONGRUN_AUTH", default: .keys).authentication,
            allowPrivateCallbacks: try callbacks.allowsPrivate(developing: developing),
            mounts: mounts,
            idempotencyKeyLifetime: try Setting.resolve(
                idempotencyKeyLifetime, environment: "LONGRUN_IDEMPOTENCY_KEY_LIFETIME",
                default: DurationFlag(duration: .seconds(24 * 3600))
            ).duration,
            maxWatchers: maxWatchers,
            keyCacheLifetime: try Setting.resolve(
                keyCacheLifetime, environment: "LONGRUN_KEY_CACHE_LIFETIME",
                default: DurationFlag(duration: .seconds(5))
            ).duration,
            idleTimeout: idleTimeout,
            requestReadTimeout: requestReadTimeout
        )
    }
}

/// `250ms`, `5s`, `2m`, `1h`, `2d`.
struct DurationFlag: ExpressibleByArgument {
    var duration: Duration

    init(duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        guard let duration = DurationText.parse(argument) else { return nil }
        self.duration = duration
    }
}

enum AuthenticationFlag: String, ExpressibleByArgument {
    case keys, none

    var authentication: APIConfiguration.Authentication {
        switch self {
        case .keys: .apiKeys
        case .none: .none
        }
    }
}

/// `PATH=KIND`, e.g. `/process=demo.sleep`.
struct KindMountFlag: ExpressibleByArgument {
    var path: String
    var kind: String

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1)
        // A path of plain segments, clear of the API's own routes.
        guard parts.count == 2, parts[0].hasPrefix("/"), parts[0].count > 1, !parts[1].isEmpty,
            !parts[0].hasPrefix("/v1/"), parts[0] != "/v1",
            parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/_.-".contains($0)) }),
            !["/healthz", "/readyz", "/metrics", "/openapi.yaml"].contains(String(parts[0]))
        else { return nil }
        path = String(parts[0])
        kind = String(parts[1])
    }

    func mount(requiresWebhook: Bool) -> APIConfiguration.KindMount {
        .init(path: path, kind: kind, requiresWebhook: requiresWebhook)
    }
}
