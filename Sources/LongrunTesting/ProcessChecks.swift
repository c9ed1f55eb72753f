import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The pid of the server running on a PostgreSQL data folder, from its `postmaster.pid`.
public func postmasterPID(dataFolder: URL) throws -> pid_t {
    let pidFile = try String(contentsOf: dataFolder.appendingPathComponent("postmaster.pid"), encoding: .utf8)
    guard let pid = pidFile.split(separator: "\n").first.flatMap({ pid_t($0) }) else {
        throw TestSupportError("no pid in \(dataFolder.path)/postmaster.pid")
    }
    return pid
}

/// Whether a process has ended within a generous bound (20 s). The bound only keeps a
/// failing test from hanging: the postmaster removes its pid file a moment before its
/// process ends, and a watchdog needs a moment to notice its launcher died.
public func hasEnded(_ pid: pid_t) async -> Bool {
    for _ in 0..<400 {
        // Signal 0 asks whether the process exists without sending anything.
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return false
}
