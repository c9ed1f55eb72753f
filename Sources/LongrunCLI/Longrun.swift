import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus

/// `longrun`: one executable, a subcommand per process kind.
@main
struct Longrun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "longrun",
        abstract: "Long-running operations behind an HTTP API, coordinated by PostgreSQL.",
        subcommands: [
            MigrateCommand.self, APICommand.self, WorkerCommand.self, NotifierCommand.self, AllCommand.self,
            DevCommand.self,
            KeysCommand.self, OpsCommand.self,
        ]
    )

    /// Bootstraps logging and metrics once per process, then runs the chosen
    /// subcommand. Tests call subcommands directly and so keep their own.
    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel =
                ProcessInfo.processInfo.environment["LONGRUN_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory())
        do {
            var command = try parseAsRoot()
            // API nodes and notifiers only wait on sockets: their tasks run on NIO's
            // event loops, which saves the hop to the concurrency pool and back on every
            // request and webhook (docs/benchmarks.md, "Tasks on the event loops").
            // Workers keep the pool, so a handler's computing never holds up the loops
            // that carry their heartbeats and cancels; so do `all` and `dev`.
            if command is APICommand || command is NotifierCommand {
                NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
