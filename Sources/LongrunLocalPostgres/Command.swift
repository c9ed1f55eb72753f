import Foundation
import Subprocess
import SystemPackage

/// Runs the PostgreSQL programs. swift-subprocess rather than Foundation's `Process`:
/// the latter was seen to miss the exit of `pg_ctl start` here and wait forever, and it
/// lets the server inherit the caller's open descriptors (a test runner's pipes among
/// them), which swift-subprocess closes.
enum Command {
    /// Runs a program to completion as `account`, its output appended to `log` (not a
    /// pipe: `pg_ctl start` leaves a server behind that would hold a pipe open), and
    /// returns its exit status. `newSession` keeps a terminal's Ctrl-C, meant for the
    /// caller, away from the server.
    @discardableResult
    static func run(
        _ arguments: [String], as account: ServerAccount, log: URL, newSession: Bool = false
    ) async throws(LocalPostgresError) -> Int32 {
        let output = try openForAppending(log)
        defer { try? output.close() }
        let commandLine = account.commandLine(arguments)
        var options = PlatformOptions()
        options.createSession = newSession
        do {
            let result = try await Subprocess.run(
                executable(commandLine[0]),
                arguments: Arguments(Array(commandLine.dropFirst())),
                platformOptions: options,
                input: .none,
                output: .fileDescriptor(output, closeAfterSpawningProcess: false),
                error: .combinedWithOutput
            )
            switch result.terminationStatus {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        } catch {
            throw LocalPostgresError("cannot run \(arguments.joined(separator: " ")): \(error)")
        }
    }

    /// Like ``run(_:as:log:newSession:)``, and a non-zero status is an error quoting the
    /// end of the log.
    static func check(
        _ arguments: [String], as account: ServerAccount, log: URL, what: String, newSession: Bool = false
    ) async throws(LocalPostgresError) {
        let status = try await run(arguments, as: account, log: log, newSession: newSession)
        guard status == 0 else { throw failure(what, status: status, log: log) }
    }

    /// A path as given, a bare name looked up on PATH.
    static func executable(_ name: String) -> Executable {
        name.contains("/") ? .path(FilePath(name)) : .name(name)
    }

    static func failure(_ what: String, status: Int32, log: URL) -> LocalPostgresError {
        let tail =
            (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").suffix(8)
            .joined(separator: "\n") ?? ""
        return LocalPostgresError("\(what) failed (exit \(status)); the end of \(log.path):\n\(tail)")
    }

    static func openForAppending(_ log: URL) throws(LocalPostgresError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(
                FilePath(log.path), .writeOnly, options: [.create, .append, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead]
            )
        } catch {
            throw LocalPostgresError("cannot write \(log.path): \(error)")
        }
    }
}
