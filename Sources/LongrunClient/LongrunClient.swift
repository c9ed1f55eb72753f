import AsyncHTTPClient
import Foundation
import LongrunCore
import NIOCore
import NIOHTTP1

/// A client of a Longrun API, on AsyncHTTPClient.
///
/// ```swift
/// let longrun = LongrunClient(baseURL: "http://127.0.0.1:8080", apiKey: key)
/// let created = try await longrun.submit(SubmitRequest(kind: "demo.sleep", input: .object(["seconds": .number(5)])))
/// let finished = try await longrun.wait(created.id)
/// ```
public struct LongrunClient: Sendable {
    public let baseURL: String
    let apiKey: String?
    let http: HTTPClient

    /// `http` defaults to the process-wide shared client, which needs no shutdown.
    public init(baseURL: String, apiKey: String?, http: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.http = http
    }

    // MARK: Calls

    /// Creates an operation. The request carries an `Idempotency-Key` (a new UUID when
    /// none is given), so it is sent again after a timeout, a connection error or a 5xx
    /// without risk of a second operation.
    public func submit(
        _ request: SubmitRequest, idempotencyKey: String? = nil, attempts: Int = 4
    ) async throws -> LongrunOperation {
        let key = idempotencyKey ?? UUID().uuidString
        let body = try JSONEncoder().encode(request)
        var pause = Duration.milliseconds(250)
        var attempt = 1
        while true {
            do {
                return try await send(.POST, "/v1/operations", body: Array(body), headers: ["Idempotency-Key": key])
                    .decode(LongrunOperation.self)
            } catch {
                guard attempt < attempts, Self.worthRetrying(error) else { throw error }
            }
            try await Task.sleep(for: pause)
            pause *= 2
            attempt += 1
        }
    }

    public func get(_ id: UUID) async throws -> LongrunOperation {
        try await send(.GET, "/v1/operations/\(id.lowercasedText)").decode(LongrunOperation.self)
    }

    /// The tenant's operations, newest first, page after page as the sequence is read.
    public func list(status: OperationStatus? = nil, kind: String? = nil, pageSize: Int = 100) -> OperationList {
        OperationList(client: self, status: status, kind: kind, pageSize: pageSize)
    }

    public func cancel(_ id: UUID) async throws -> LongrunOperation {
        try await send(.POST, "/v1/operations/\(id.lowercasedText)/cancel").decode(LongrunOperation.self)
    }

    public func delete(_ id: UUID) async throws {
        _ = try await send(.DELETE, "/v1/operations/\(id.lowercasedText)")
    }

    public func logs(_ id: UUID) async throws -> [LogLine] {
        struct Body: Decodable { var logs: [LogLine] }
        return try await send(.GET, "/v1/operations/\(id.lowercasedText)/logs").decode(Body.self).logs
    }

    /// Returns once the operation is done. Long polls (`/wait`); when the node refuses
    /// (503) or cannot be reached, polls instead, honouring `Retry-After`, backing off
    /// from 1 s to 30 s.
    public func wait(_ id: UUID) async throws -> LongrunOperation {
        var pause = Duration.seconds(1)
        while true {
            do {
                let reply = try await send(.GET, "/v1/operations/\(id.lowercasedText)/wait?timeout=60")
                let operation = try reply.decode(LongrunOperation.self)
                if operation.done { return operation }
                pause = .seconds(1)
                continue
            } catch {
                guard Self.worthRetrying(error) else { throw error }
            }
            // Fallback: poll.
            var retryAfter = Duration.zero
            if let reply = try? await send(.GET, "/v1/operations/\(id.lowercasedText)") {
                let operation = try reply.decode(LongrunOperation.self)
                if operation.done { return operation }
                retryAfter = reply.retryAfter ?? .zero
            }
            try await Task.sleep(for: max(pause, retryAfter))
            pause = min(pause * 2, .seconds(30))
        }
    }

    /// The operation's events as they happen, ending after `done`. A dropped stream is
    /// resumed from the last event seen (`Last-Event-ID`), so nothing is missed or repeated.
    public func events(_ id: UUID) -> AsyncThrowingStream<OperationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await streamEvents(id, into: continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: Plumbing

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]

        func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
            try LongrunClient.decoder.decode(type, from: Data(body))
        }

        var retryAfter: Duration? { headers.first(name: "retry-after").flatMap(Int64.init).map { .seconds($0) } }
    }

    func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers: [String: String] = [:]
    ) async throws -> Reply {
        var request = request(method, path)
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.headers.replaceOrAdd(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: .seconds(75))
        let bytes = Array((try await response.body.collect(upTo: 64 << 20)).readableBytesView)
        let reply = Reply(status: Int(response.status.code), headers: response.headers, body: bytes)
        guard (200...299).contains(reply.status) else { throw Self.error(reply) }
        return reply
    }

    func request(_ method: HTTPMethod, _ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let apiKey { request.headers.add(name: "authorization", value: "Bearer \(apiKey)") }
        return request
    }

    private func streamEvents(
        _ id: UUID, into continuation: AsyncThrowingStream<OperationEvent, any Error>.Continuation
    ) async throws {
        var lastEventID: String?
        var pause = Duration.seconds(1)
        while true {
            var request = request(.GET, "/v1/operations/\(id.lowercasedText)/events")
            request.headers.add(name: "accept", value: "text/event-stream")
            if let lastEventID { request.headers.add(name: "last-event-id", value: lastEventID) }
            do {
                let response = try await http.execute(request, timeout: .seconds(30))
                guard response.status == .ok else {
                    let body = Array((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
                    let error = Self.error(
                        Reply(status: Int(response.status.code), headers: response.headers, body: body))
                    guard Self.isTransient(error.status) else { throw error }
                    throw TransientStreamError()
                }
                var parser = EventStreamParser()
                for try await chunk in response.body {
                    for event in parser.feed(Array(chunk.readableBytesView)) {
                        guard let decoded = try Self.decode(event) else { continue }
                        lastEventID = event.id
                        continuation.yield(decoded)
                        if case .done = decoded { return }
                    }
                }
                pause = .seconds(1)
            } catch let error as LongrunClientError {
                throw error
            } catch  where !Self.worthRetrying(error) {
                // Cancelled, or an event this client cannot read: trying again would not help.
                throw error
            } catch {
                // Dropped or refused for now: resume from the last event after a pause.
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(30))
        }
    }

    private struct TransientStreamError: Error {}

    static func decode(_ event: EventStreamParser.Event) throws -> OperationEvent? {
        let data = Data(event.data.utf8)
        switch event.name {
        case "status": return .status(try decoder.decode(LongrunOperation.self, from: data))
        case "done": return .done(try decoder.decode(LongrunOperation.self, from: data))
        case "log": return .log(try decoder.decode(LogLine.self, from: data))
        case "progress":
            struct Progress: Decodable {
                var progress: Int?
                var message: String?
            }
            let progress = try decoder.decode(Progress.self, from: data)
            return .progress(progress.progress, message: progress.message)
        default: return nil
        }
    }

    /// Whether a failed call may be made again: transport errors and timeouts, and the
    /// API's transient answers; never a refusal of the request itself.
    static func worthRetrying(_ error: any Error) -> Bool {
        if let error = error as? LongrunClientError { return isTransient(error.status) }
        return !(error is CancellationError) && !(error is DecodingError)
    }

    /// Worth another try: the node is busy or briefly unable (429, 5xx but 501), or a
    /// create with the same key is still being written (409).
    static func isTransient(_ status: Int) -> Bool {
        status == 409 || status == 429 || (status >= 500 && status != 501)
    }

    static func error(_ reply: Reply) -> LongrunClientError {
        struct Document: Decodable {
            var title: String
            var detail: String?
            var errors: [LongrunClientError.FieldError]?
        }
        let isProblem = reply.headers.first(name: "content-type")?.hasPrefix("application/problem+json") == true
        if isProblem, let document = try? JSONDecoder().decode(Document.self, from: Data(reply.body)) {
            return .problem(
                status: reply.status, title: document.title, detail: document.detail ?? "",
                errors: document.errors ?? [])
        }
        return .unexpected(status: reply.status, body: String(decoding: reply.body.prefix(2048), as: UTF8.self))
    }

    /// JSON as the API writes it: sorted keys, RFC 3339 timestamps with milliseconds.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Timestamp.style))
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = try? Date(
                text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
            {
                return date
            }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not RFC 3339"))
        }
        return decoder
    }()
}

/// The tenant's operations, page after page (keyset pagination with the API's opaque token).
public struct OperationList: AsyncSequence, Sendable {
    public typealias Element = LongrunOperation
    let client: LongrunClient
    let status: OperationStatus?
    let kind: String?
    let pageSize: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let list: OperationList
        var page: [LongrunOperation] = []
        var token: String?
        var finished = false

        public mutating func next() async throws -> LongrunOperation? {
            while page.isEmpty {
                if finished { return nil }
                var query = ["page_size=\(list.pageSize)"]
                if let status = list.status { query.append("status=\(status.rawValue)") }
                if let kind = list.kind, let encoded = kind.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
                {
                    query.append("kind=\(encoded)")
                }
                if let token { query.append("page_token=\(token)") }
                struct Body: Decodable {
                    var operations: [LongrunOperation]
                    var next_page_token: String?
                }
                let body = try await list.client.send(.GET, "/v1/operations?" + query.joined(separator: "&"))
                    .decode(Body.self)
                page = body.operations.reversed()
                token = body.next_page_token
                finished = token == nil || token?.isEmpty == true
            }
            return page.popLast()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(list: self) }
}
