import Hummingbird
import Logging
import LongrunCore

/// Builds an API node, for the `longrun` executable and for tests alike, so tests run
/// the graph the binary runs. `onServerRunning` learns the bound port (useful with
/// port 0).
public func buildAPI(
    configuration: APIConfiguration,
    readiness: some SchemaReadiness,
    logger: Logger,
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router()
    HealthRoutes(readiness: readiness, timeout: configuration.readinessTimeout, logger: logger).register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "longrun"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}
