import Foundation
import Subprocess
import SystemPackage

/// A small process that stops the server when its launcher ends, however it ends.
///
/// It waits on a pipe whose writing end only the launcher holds. An orderly `stop()`
/// closes the pipe; so does the kernel when the launcher exits or is killed. Either way
/// the watchdog reads end-of-file and runs `pg_ctl stop`, so a crashed `longrun dev` or
/// test run leaves no server behind. It runs in a session of its own, out of reach of
/// the Ctrl-C that stops the launcher.
final class Watchdog: Sendable {
    private let release: AsyncStream<Void>.Continuation
    private let exit: Task<Int32, any Error>

    init(stopCommand: [String], as account: ServerAccount, log: URL) throws(LocalPostgresError) {
        let output = try Command.openForAppending(log)
        let (released, release) = AsyncStream<Void>.makeStream()
        self.release = release
        var options = PlatformOptions()
        options.createSession = true
        let commandLine = account.commandLine(
            ["/bin/sh", "-c", #"read -r _; echo "watchdog: stopping the server"; exec "$@""#, "longrun-watchdog"]
                + stopCommand
        )
        exit = Task {
            defer { try? output.close() }
            let result = try await Subprocess.run(
                Command.executable(commandLine[0]),
                arguments: Arguments(Array(commandLine.dropFirst())),
                platformOptions: options,
                input: .inputWriter,
                output: .fileDescriptor(output, closeAfterSpawningProcess: false),
                error: .combinedWithOutput
            ) { execution in
                for await _ in released {}
                try await execution.standardInputWriter.finish()
            }
            switch result.terminationStatus {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        }
    }

    /// Lets the watchdog stop the server, and waits until it has.
    func stopServer() async throws -> Int32 {
        release.finish()
        return try await exit.value
    }
}
