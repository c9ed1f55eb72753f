import Foundation
import LongrunCore
import LongrunLocalPostgres
import LongrunTesting
import Subprocess
import Synchronization
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

    /// Starts `longrun dev` (with `extra` arguments), waits for its ready line, checks both
    /// health routes, runs `whileRunning` with its port and API key, then ends it with
    /// `ending` and returns what it saw and how the process ended.
    func runDev(
        folder: URL, ending: Subprocess.Signal, extra: [String] = [],
        whileRunning: @escaping @Sendable (_ port: Int, _ key: String) async throws -> Void = { _, _ in }
    ) async throws -> (Run, TerminationStatus, String) {
        let port = try freeLoopbackPort()
        let options = {
            var options = PlatformOptions()
            options.processGroupID = 0
            return options
        }()
        // A dev that hangs, starting or stopping, is killed: a stuck child must fail this
        // test, not hold the suite until CI gives up.
        let killTimer = KillTimer()
        defer { killTimer.disarm() }
        // A private PostgreSQL, an API node, a worker and a notifier: a few tests' worth.
        let result = try await TestSlots.with(weight: 3) {
            try await Subprocess.run(
                .path(.init(try LongrunExecutable.path)),
                arguments: .init(["dev", "--port", "\(port)", "--data-dir", folder.path] + extra),
                environment: LongrunExecutable.environment(),
                platformOptions: options,
                input: .none,
                output: .sequence,
                error: .string(limit: 1 << 20)
            ) { execution in
                killTimer.arm(after: .seconds(180)) { try execution.send(signal: .kill, toProcessGroup: true) }
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
                let key = printed.first { $0.hasPrefix("api_key: ") }.map { String($0.dropFirst("api_key: ".count)) }
                try await whileRunning(port, key ?? "")
                let pid = try postmasterPID(dataFolder: folder.appendingPathComponent("data"))
                try execution.send(signal: ending, toProcessGroup: true)
                return Run(port: port, serverPID: pid, printed: printed)
            }
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

/// Kills a child after a while unless disarmed first; it outlives the closure that arms
/// it, so it bounds the wait for the child to exit as well.
private final class KillTimer: Sendable {
    private let timer = Mutex<Task<Void, any Error>?>(nil)

    func arm(after delay: Duration, _ kill: @escaping @Sendable () throws -> Void) {
        timer.withLock {
            $0 = Task {
                try await Task.sleep(for: delay)
                try kill()
            }
        }
    }

    func disarm() { timer.withLock { $0?.cancel() } }
}

extension DevCommandTests {
    /// dev's notifier sends a finished operation's webhook; with `--no-notifier` none
    /// leaves (the fuzzer's runs rely on it), and the operation still finishes.
    @Test(arguments: [false, true])
    func aWebhookLeavesUnlessTheNotifierIsOff(off: Bool) async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await WebhookReceiver.run { receiver in
            let hook = receiver.url("/hook")
            let (_, termination, errors) = try await runDev(
                folder: folder, ending: .interrupt, extra: off ? ["--no-notifier"] : []
            ) { port, key in
                let base = "http://127.0.0.1:\(port)/v1/operations"
                var create = URLRequest(url: URL(string: base)!)
                create.httpMethod = "POST"
                create.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
                create.setValue("application/json", forHTTPHeaderField: "Content-Type")
                create.httpBody = Data(#"{"kind":"demo.noop","callback_url":"\#(hook)"}"#.utf8)
                let (body, _) = try await URLSession.shared.data(for: create)
                guard case .object(let created)? = JSONValue(jsonBytes: Array(body)),
                    case .string(let id)? = created["id"]
                else { throw TestSupportError("no operation: \(String(decoding: body, as: UTF8.self))") }
                var wait = URLRequest(url: URL(string: "\(base)/\(id)/wait?timeout=30")!)
                wait.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
                let (done, _) = try await URLSession.shared.data(for: wait)
                #expect(String(decoding: done, as: UTF8.self).contains(#""status":"succeeded""#))
                if off {
                    try await Task.sleep(for: .seconds(2))
                    #expect(receiver.requests.isEmpty)
                } else {
                    _ = try await receiver.waitFor { $0.count == 1 }
                }
            }
            #expect(termination == .exited(0), "\(errors)")
        }
    }
}

/// The HTTP status of a GET.
func status(of url: String) async throws -> Int {
    let (_, response) = try await URLSession.shared.data(from: URL(string: url)!)
    return (response as? HTTPURLResponse)?.statusCode ?? 0
}
