import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// A real HTTP receiver on loopback for webhook tests and benchmarks: records every
/// request and answers as the test scripts it (status, headers, a delay before the
/// answer).
///
/// ```swift
/// try await WebhookReceiver.run(answer: { _, try_ in try_ < 3 ? .status(500) : .ok }) { receiver in
///     … receiver.url("/hook") …
/// }
/// ```
public final class WebhookReceiver: Sendable {
    /// One request as it arrived.
    public struct Request: Sendable {
        public var path: String
        /// Lower-case names.
        public var headers: [String: String]
        public var body: [UInt8]
        public var arrived: ContinuousClock.Instant

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// What the receiver answers.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var delay: Duration

        public init(status: Int, headers: [String: String] = [:], delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.delay = delay
        }

        public static let ok = Answer(status: 200)
        public static func status(_ code: Int, headers: [String: String] = [:]) -> Answer {
            Answer(status: code, headers: headers)
        }
    }

    /// Decides the answer from the request and which try it is (1 for the first request
    /// with its `webhook-id`, or its path when it has none).
    public typealias Script = @Sendable (Request, _ try: Int) -> Answer

    private let received = Mutex<(requests: [Request], tries: [String: Int])>(([], [:]))
    private let script: Script
    public let port: Int

    private init(port: Int, script: @escaping Script) {
        self.port = port
        self.script = script
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    public var requests: [Request] { received.withLock { $0.requests } }

    public var count: Int { received.withLock { $0.requests.count } }

    /// Polls until `condition` holds for what arrived, or throws after `timeout`.
    @discardableResult
    public func waitFor(
        timeout: Duration = .seconds(30), _ condition: ([Request]) -> Bool
    ) async throws -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let requests = self.requests
            if condition(requests) { return requests }
            guard ContinuousClock.now < deadline else {
                throw TestSupportError("the receiver did not get what was awaited; it got \(requests.count) requests")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs a receiver on a free loopback port for the length of `body`.
    public static func run<Result: Sendable>(
        answer script: @escaping Script = { _, _ in .ok },
        _ body: @Sendable (WebhookReceiver) async throws -> Result
    ) async throws -> Result {
        let recorder = Mutex<WebhookReceiver?>(nil)
        let router = Router()
        router.post("**") { request, _ -> Response in
            var request = request
            let bytes = try await request.collectBody(upTo: 16 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let arrived = Request(
                path: request.uri.path, headers: headers, body: Array(bytes.readableBytesView),
                arrived: .now)
            guard let receiver = recorder.withLock({ $0 }) else { return Response(status: .serviceUnavailable) }
            let answer = receiver.record(arrived)
            if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let name = HTTPField.Name(name) { fields[name] = value }
            }
            return Response(status: .init(code: answer.status), headers: fields)
        }
        var logger = Logger(label: "longrun.test.receiver")
        logger.logLevel = .critical
        let ready = AsyncStream<Int>.makeStream()
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in ready.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.runService(gracefulShutdownSignals: []) }
            var iterator = ready.stream.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestSupportError("the receiver did not start") }
            let receiver = WebhookReceiver(port: port, script: script)
            recorder.withLock { $0 = receiver }
            do {
                let result = try await body(receiver)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    private func record(_ request: Request) -> Answer {
        let key = request.headers["webhook-id"] ?? request.path
        let attempt = received.withLock { received in
            received.requests.append(request)
            received.tries[key, default: 0] += 1
            return received.tries[key, default: 0]
        }
        return script(request, attempt)
    }
}
