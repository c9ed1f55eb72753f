import Foundation
import LongrunLocalPostgres
import LongrunTesting
import Subprocess
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `longrun dev` as a person runs it: a real process on a private PostgreSQL, stopped by
/// Ctrl-C (SIGINT to its whole process group, as a terminal sends it) or killed.
@Suite(.serialized, .timeLimit(.minutes(5))) struct DevCommandTests {
    struct Run {
        var port: Int
        var serverPID: pid_t
        var printed: [String]
    }

    /// Starts `longrun dev`, waits for its ready line, checks both health routes, then
    /// ends it with `ending` and returns what it saw and how the process ended.
    func runDev(folder: URL, ending: Subprocess.Signal) async throws -> (Run, TerminationStatus, String) {
        let port = try freeLoopbackPort()
        var options = PlatformOptions()
        options.processGroupID = 0
        let result = try await Subprocess.run(
            .path(.init(try LongrunExecutable.path)),
            arguments: ["dev", "--port", "\(port)", "--data-dir", folder.path],
            environment: LongrunExecutable.environment(),
            platformOptions: options,
            input: .none,
            output: .sequence,
            error: .string(limit: 1 << 20)
        ) { execution in
            var printed: [String] = []
            for try await line in execution.standardOutput.strings() {
                printed.append(line)
                if line.contains("curl") { break }
            }
            guard printed.last?.contains("curl") == true else {
                return Run(port: port, serverPID: 0, printed: printed)
            }
            #expect(try await status(of: "http://127.0.0.1:\(port)/healthz") == 200)
            #expect(try await status(of: "http://127.0.0.1:\(port)/readyz") == 200)
            let pid = try postmasterPID(dataFolder: folder.appendingPathComponent("data"))
            try execution.send(signal: ending, toProcessGroup: true)
            return Run(port: port, serverPID: pid, printed: printed)
        }
        let run = result.closureResult
        guard run.serverPID != 0 else {
            throw TestSupportError("longrun dev never became ready: \(run.printed) \(result.standardError)")
        }
        return (run, result.terminationStatus, result.standardError)
    }

    func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("longrun-dev-\(UUID().uuidString)")
    }

    @Test func servesHealthAndReadinessThenStopsCleanlyOnCtrlC() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (run, termination, errors) = try await runDev(folder: folder, ending: .interrupt)
        #expect(termination == .exited(0), "\(errors)")
        #expect(run.printed.contains { $0.hasPrefix("api_key: lr_") })
        #expect(run.printed.contains { $0.hasPrefix("webhook_secret: whsec_") })
        #expect(run.printed.contains { $0.contains("curl -s http://127.0.0.1:\(run.port)/readyz") })
        #expect(await hasEnded(run.serverPID))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("data/postmaster.pid").path))
    }

    @Test func aKilledDevLeavesNoServerAndTheNextRunStartsAgain() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (killed, termination, _) = try await runDev(folder: folder, ending: .kill)
        #expect(termination == .signaled(SIGKILL))
        // The watchdog notices its launcher is gone and stops the server.
        #expect(await hasEnded(killed.serverPID))

        let (again, secondTermination, errors) = try await runDev(folder: folder, ending: .interrupt)
        #expect(secondTermination == .exited(0), "\(errors)")
        #expect(await hasEnded(again.serverPID))
    }
}

/// The HTTP status of a GET.
func status(of url: String) async throws -> Int {
    let (_, response) = try await URLSession.shared.data(from: URL(string: url)!)
    return (response as? HTTPURLResponse)?.statusCode ?? 0
}
