import ArgumentParser

/// `--host` and `--metrics-port` of the processes that serve no API (worker, notifier):
/// where their `/healthz`, `/readyz` and `/metrics` listen, off unless a port is given.
struct StatusOptions: ParsableArguments {
    @Option(help: "Listen address of the status server (env: LONGRUN_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Serve /healthz, /readyz and /metrics on this port (env: LONGRUN_METRICS_PORT; default off).")
    var metricsPort: Int?

    func endpoint() throws -> Services.StatusEndpoint? {
        guard let port = try Setting.resolve(metricsPort, environment: "LONGRUN_METRICS_PORT") else { return nil }
        guard (0...65535).contains(port) else { throw ValidationError("the metrics port must be 0 to 65535") }
        return Services.StatusEndpoint(
            host: try Setting.resolve(host, environment: "LONGRUN_HOST", default: "127.0.0.1"), port: port)
    }
}
