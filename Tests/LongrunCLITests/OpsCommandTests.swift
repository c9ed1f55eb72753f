import Foundation
import LongrunCore
import LongrunLocalPostgres
import LongrunPostgres
import LongrunTesting
import Subprocess
import Testing

/// `longrun ops` against a real `longrun all`, in a pipe and in a pseudo-terminal.
@Suite(.timeLimit(.minutes(3))) struct OpsCommandTests {
    @Test func submitWaitInAPipePrintsPlainLinesAndTheResult() async throws {
        try await Self.withNode { base, key in
            let run = try await Self.ops(
                ["submit", "demo.sleep", "--input", #"{"seconds":0.8,"steps":4}"#, "--wait"], base: base, key: key)
            #expect(run.status == .exited(0), "\(run.error)")
            let printed = try #require(JSONValue(jsonBytes: Array(run.output.utf8)))
            guard case .object(let resource) = printed else { throw TestSupportError("not an object: \(run.output)") }
            #expect(resource["status"] == .string("succeeded"))
            #expect(resource["result"] == .object(["steps": .integer(4), "resumed_from": .integer(0)]))
            #expect(run.error.contains("progress 100% step 4/4"), "\(run.error)")
            #expect(run.error.contains("status succeeded"))
            #expect(!run.error.contains("\r"))
        }
    }

    @Test func submitWaitOnATerminalDrawsABarAndFailureExitsNonZero() async throws {
        try await Self.withNode { base, key in
            let command = try [
                LongrunExecutable.path, "ops", "submit", "demo.sleep", "--input",
                #"'{"seconds":0.8,"steps":4,"fail_at_step":3}'"#, "--max-attempts", "1", "--wait", "--url", base,
                "--api-key", key,
            ].joined(separator: " ")
            // script(1) runs the command on a pseudo-terminal and returns its exit status.
            let run = try await Subprocess.run(
                .name("script"), arguments: ["-qec", command, "/dev/null"],
                environment: LongrunExecutable.environment(), output: .string(limit: 1 << 20),
                error: .string(limit: 1 << 20))
            #expect(run.terminationStatus == .exited(1), "\(run.standardOutput)")
            #expect(run.standardOutput.contains("\r["), "\(run.standardOutput)")
            #expect(run.standardOutput.contains("step 2/4"))
            #expect(run.standardOutput.contains(#""status":"failed""#))
        }
    }

    @Test func getListCancelAndLogs() async throws {
        try await Self.withNode { base, key in
            let submitted = try await Self.ops(
                ["submit", "demo.sleep", "--input", #"{"seconds":3600}"#], base: base, key: key)
            #expect(submitted.status == .exited(0), "\(submitted.error)")
            guard case .object(let resource)? = JSONValue(jsonBytes: Array(submitted.output.utf8)),
                case .string(let id)? = resource["id"]
            else { throw TestSupportError("no id in \(submitted.output)") }

            let got = try await Self.ops(["get", id], base: base, key: key)
            #expect(got.output.contains(id))
            let listed = try await Self.ops(["list", "--limit", "5"], base: base, key: key)
            #expect(listed.output.split(separator: "\n").count == 1 && listed.output.contains(id))
            let cancelled = try await Self.ops(["cancel", id], base: base, key: key)
            #expect(cancelled.output.contains(#""status":"cancelled""#))
            let waited = try await Self.ops(["wait", id], base: base, key: key)
            #expect(waited.status == .exited(2))
            let logs = try await Self.ops(["logs", id], base: base, key: key)
            #expect(logs.status == .exited(0))
            let missing = try await Self.ops(["get", UUID().uuidString], base: base, key: key)
            #expect(missing.status != .exited(0) && missing.error.contains("404"))
        }
    }

    // MARK: Support

    static func ops(
        _ arguments: [String], base: String, key: String
    ) async throws -> (
        status: TerminationStatus, output: String, error: String
    ) {
        let run = try await Subprocess.run(
            .path(.init(try LongrunExecutable.path)), arguments: .init(["ops"] + arguments + ["--url", base]),
            environment: LongrunExecutable.environment(["LONGRUN_API_KEY": key]), output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20))
        return (run.terminationStatus, run.standardOutput, run.standardError)
    }

    static func withNode(_ body: @Sendable (_ base: String, _ key: String) async throws -> Void) async throws {
        try await TestDatabase.with { database in
            let key = APIKey.generate()
            try await database.withStore { store in
                try await store.addAPIKey(key, tenantID: try await store.ensureTenant(named: "acme").id)
            }
            let port = try freeLoopbackPort()
            let node = try LongrunProcess.start(
                ["all", "--database-url", database.url, "--port", "\(port)", "--poll-interval", "200ms"])
            defer { node.stop() }
            let base = "http://127.0.0.1:\(port)"
            guard await waitUntilServing(base + "/readyz") else { throw TestSupportError(node.log) }
            try await body(base, key.text)
        }
    }
}
