import ArgumentParser
import LongrunAPI

/// Flags of the processes that serve HTTP.
struct APIOptions: ParsableArguments {
    @Option(help: "Listen address (env: LONGRUN_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Listen port (env: LONGRUN_PORT; default 8080).")
    var port: Int?

    func configuration() throws -> APIConfiguration {
        let port = try Setting.resolve(port, environment: "LONGRUN_PORT", default: 8080)
        guard (0...65535).contains(port) else { throw ValidationError("the port must be 0 to 65535") }
        return APIConfiguration(
            host: try Setting.resolve(host, environment: "LONGRUN_HOST", default: "127.0.0.1"), port: port)
    }
}
