import ArgumentParser

/// `--allow-private-callbacks`, read by the API (at create) and the notifier (at send),
/// declared once so `all` and `dev` take it once for both.
struct CallbackOptions: ParsableArguments {
    @Flag(help: "Allow callback URLs on loopback and private networks (env: LONGRUN_ALLOW_PRIVATE_CALLBACKS).")
    var allowPrivateCallbacks = false

    /// `longrun dev` allows them whatever the flag says.
    func allowsPrivate(developing: Bool = false) throws -> Bool {
        if developing || allowPrivateCallbacks { return true }
        return try Setting.resolve(nil as Bool?, environment: "LONGRUN_ALLOW_PRIVATE_CALLBACKS") ?? false
    }
}

/// `--shutdown-grace`, shared by the worker and the notifier of one process.
struct ShutdownOptions: ParsableArguments {
    @Option(help: "Time given to running handlers and sends at SIGTERM (env: LONGRUN_SHUTDOWN_GRACE; default 30s).")
    var shutdownGrace: DurationFlag?

    /// How long a whole shutdown may take before it is cut short: the grace, then time
    /// for cancelled handlers to stop and for releases to be written.
    func limit() throws -> Duration { try grace() + .seconds(30) }

    func grace() throws -> Duration {
        try Setting.resolve(
            shutdownGrace, environment: "LONGRUN_SHUTDOWN_GRACE", default: DurationFlag(duration: .seconds(30))
        )
        .duration
    }
}
