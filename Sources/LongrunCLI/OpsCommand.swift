import ArgumentParser
import Foundation
import LongrunClient
import LongrunCore

#if canImport(Glibc)
import Glibc
#endif

/// `longrun ops …`: the API from a terminal, through the client library.
struct OpsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops", abstract: "Submit, inspect, wait for and cancel operations through the API.",
        subcommands: [Submit.self, Get.self, List.self, Wait.self, Cancel.self, Logs.self]
    )

    /// Where the API is, and the key.
    struct Connection: ParsableArguments {
        @Option(help: "The API's base URL (env: LONGRUN_URL; default http://127.0.0.1:8080).")
        var url: String?

        @Option(help: "An API key (env: LONGRUN_API_KEY).")
        var apiKey: String?

        func client() throws -> LongrunClient {
            LongrunClient(
                baseURL: try Setting.resolve(url, environment: "LONGRUN_URL", default: "http://127.0.0.1:8080"),
                apiKey: try Setting.resolve(apiKey, environment: "LONGRUN_API_KEY"))
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an operation and print it; with --wait, follow it to its end.")

        @OptionGroup var connection: Connection
        @Argument(help: "The kind, e.g. demo.sleep.") var kind: String
        @Option(help: "The input, a JSON value (default {}).") var input: String?
        @Option(help: "Metadata, a JSON object.") var metadata: String?
        @Option(help: "Where to POST the finished operation.") var callbackURL: String?
        @Option(help: "The queue.") var queue: String?
        @Option(help: "Priority, -100 to 100.") var priority: Int?
        @Option(help: "Attempts allowed.") var maxAttempts: Int?
        @Option(help: "Deadline in seconds from now.") var timeoutSeconds: Double?
        @Option(help: "Idempotency-Key (default: a new one, so retries are safe).") var idempotencyKey: String?
        @Flag(help: "Follow the operation: progress on the terminal, then the result; exit 0 only on success.")
        var wait = false

        func run() async throws {
            let client = try connection.client()
            let request = SubmitRequest(
                kind: kind, input: try json(input, "--input") ?? .emptyObject,
                metadata: try json(metadata, "--metadata"),
                callbackURL: callbackURL, queue: queue, priority: priority, maxAttempts: maxAttempts,
                timeoutSeconds: timeoutSeconds)
            let created = try await client.submit(request, idempotencyKey: idempotencyKey)
            guard wait else { return try printJSON(created) }
            let finished = try await follow(created, with: client)
            try printJSON(finished)
            try exitStatus(of: finished)
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an operation.")
        @OptionGroup var connection: Connection
        @Argument var id: String

        func run() async throws { try printJSON(try await connection.client().get(try uuid(id))) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print operations, newest first, one JSON per line.")
        @OptionGroup var connection: Connection
        @Option(help: "Only this status.") var status: OperationStatus?
        @Option(help: "Only this kind.") var kind: String?
        @Option(help: "At most this many (default 50).") var limit = 50

        func run() async throws {
            var printed = 0
            for try await operation in try connection.client().list(
                status: status, kind: kind, pageSize: min(max(limit, 1), 1000))
            {
                guard printed < limit else { break }
                try printJSON(operation)
                printed += 1
            }
        }
    }

    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow an operation to its end and print it; exit 0 only on success.")
        @OptionGroup var connection: Connection
        @Argument var id: String

        func run() async throws {
            let client = try connection.client()
            let finished = try await follow(try await client.get(try uuid(id)), with: client)
            try printJSON(finished)
            try exitStatus(of: finished)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an operation and print it.")
        @OptionGroup var connection: Connection
        @Argument var id: String

        func run() async throws { try printJSON(try await connection.client().cancel(try uuid(id))) }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an operation's log lines.")
        @OptionGroup var connection: Connection
        @Argument var id: String

        func run() async throws {
            for line in try await connection.client().logs(try uuid(id)) {
                print("\(line.at.formatted(Timestamp.style)) \(line.level) \(line.message)")
            }
        }
    }
}

extension OperationStatus: ExpressibleByArgument {}

/// Follows the operation through its event stream to its end, showing progress on
/// standard error: a bar redrawn in place on a terminal, plain lines otherwise.
private func follow(_ operation: LongrunOperation, with client: LongrunClient) async throws -> LongrunOperation {
    if operation.done { return operation }
    let display = ProgressDisplay(terminal: isatty(STDERR_FILENO) != 0)
    for try await event in client.events(operation.id) {
        switch event {
        case .status(let current): display.status(current.status.rawValue)
        case .progress(let progress, let message): display.progress(progress, message)
        case .log(let line): display.log(line)
        case .done(let finished):
            display.finish()
            return finished
        }
    }
    return try await client.wait(operation.id)
}

/// What `--wait` shows while it waits.
private final class ProgressDisplay {
    let terminal: Bool
    private var drawn = false

    init(terminal: Bool) { self.terminal = terminal }

    func status(_ status: String) { line("status \(status)") }

    func progress(_ progress: Int?, _ message: String?) {
        let percent = max(0, min(100, progress ?? 0))
        guard terminal else { return line("progress \(progress.map { "\($0)%" } ?? "-") \(message ?? "")") }
        let filled = percent * 30 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
        let text = "\r[\(bar)] \(String(format: "%3d", percent))% \(message ?? "")"
        FileHandle.standardError.write(Data((text.prefix(120) + "\u{1B}[K").utf8))
        drawn = true
    }

    func log(_ line: LogLine) {
        if terminal { return }  // the bar shows the latest message; logs stay with `longrun ops logs`
        self.line("log \(line.level) \(line.message)")
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }

    private func line(_ text: String) {
        finish()
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

private func printJSON(_ value: some Encodable) throws {
    FileHandle.standardOutput.write(try LongrunClient.encoder.encode(value) + Data("\n".utf8))
}

/// 0 when succeeded, 1 when failed, 2 when cancelled.
private func exitStatus(of operation: LongrunOperation) throws {
    switch operation.status {
    case .succeeded: return
    case .cancelled: throw ExitCode(2)
    default: throw ExitCode(1)
    }
}

private func json(_ text: String?, _ flag: String) throws -> JSONValue? {
    guard let text else { return nil }
    guard let value = JSONValue(jsonBytes: Array(text.utf8)) else { throw ValidationError("\(flag) is not JSON") }
    return value
}

private func uuid(_ text: String) throws -> UUID {
    guard let id = UUID(uuidString: text) else { throw ValidationError("\(text) is not an operation id") }
    return id
}
