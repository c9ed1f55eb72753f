import Foundation

/// A `longrun` child process that a test can watch and kill while it runs (several at
/// once, unlike a `Subprocess.run` closure). Its standard error goes to a file the test
/// reads; standard output is discarded.
public final class LongrunProcess: @unchecked Sendable {
    private let process: Process
    public let logFile: URL

    private init(process: Process, logFile: URL) {
        self.process = process
        self.logFile = logFile
    }

    /// Starts `longrun arguments…` with ``LongrunExecutable/variables(_:)`` plus `environment`.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> LongrunProcess {
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("longrun-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw TestSupportError("cannot create \(logFile.path)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LongrunExecutable.path)
        process.arguments = arguments
        process.environment = LongrunExecutable.variables(environment)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        return LongrunProcess(process: process, logFile: logFile)
    }

    public var pid: pid_t { process.processIdentifier }

    public var isRunning: Bool { process.isRunning }

    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// What the process has written to standard error so far.
    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Waits until the log holds `text`; false after `timeout` or when the process ended first.
    public func waitForLog(containing text: String, timeout: Duration = .seconds(30)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.contains(text) { return true }
            if !process.isRunning { return log.contains(text) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The exit status once the process has ended, or nil after `timeout`.
    public func waitForExit(
        timeout: Duration = .seconds(30)
    ) async throws -> (reason: Process.TerminationReason, status: Int32)? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        return (process.terminationReason, process.terminationStatus)
    }

    /// Kills the process if it still runs and removes its log.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logFile)
    }
}
