import Foundation
import HTTPTypes
import Hummingbird
import LongrunCore
import ServiceLifecycle

/// The long poll and the event stream: both hold a watch on the node's change feed and
/// re-read the operation only when the feed says it changed.
extension OperationRoutes {
    /// `GET …/wait?timeout=S`: the resource as soon as it is done, or after S seconds (30
    /// by default, at most 60) as it is then, with `Retry-After`.
    func wait(_ request: Request, context: APIRequestContext) async throws -> Response {
        var timeout = Duration.seconds(30)
        if let text = request.uri.queryParameters["timeout"] {
            guard let seconds = Double(String(text)), seconds.isFinite, (0...60).contains(seconds) else {
                throw Problem.invalid([.init(field: "timeout", message: "must be a number of seconds from 0 to 60")])
            }
            timeout = .milliseconds(Int64(seconds * 1000))
        }
        var operation = try await find(request, context: context)
        if !operation.done {
            let deadline = ContinuousClock.now + timeout
            let (tenantID, id) = try target(context)
            let waited = try await feed.withWatch(on: id) { watch in
                // Read again once registered: a change between the first read and the
                // registration was announced to nobody.
                var current = operation
                while true {
                    guard let read = try await store.operation(id: id, tenantID: tenantID) else {
                        throw notFound(context)
                    }
                    current = read
                    let remaining = deadline - ContinuousClock.now
                    if current.done || remaining <= .zero { return current }
                    await watch.wait(upTo: remaining)
                    if watch.isClosed { return current }
                }
            }
            guard let waited else { throw Self.busy(feed) }
            operation = waited
        }
        return try JSONResponse(headers: retryAfter(operation), body: OperationResource(operation: operation))
            .response(from: request, context: context)
    }

    /// `GET …/events`: Server-Sent Events of the operation's status, progress and log
    /// lines as they happen, then `done` and the end of the stream. Every event's id is
    /// the stream's position (see ``EventCursor``), so `Last-Event-ID` resumes exactly.
    func events(_ request: Request, context: APIRequestContext) async throws -> Response {
        let operation = try await find(request, context: context)
        var start = EventCursor()
        if let last = request.headers[.lastEventID] {
            guard let cursor = EventCursor(last) else {
                throw Problem.invalid([
                    .init(field: "Last-Event-ID", message: "is not an event id this server gave out")
                ])
            }
            start = cursor
        }
        guard let watch = try await feed.watch(operation.id) else { throw Self.busy(feed) }
        // Ended by the body when it runs, and by the lease's release when it never does
        // (a client gone before the head was written).
        let lease = ChangeFeed.Lease(feed: feed, watch: watch)
        let (tenantID, id) = try target(context)
        let store = store
        let heartbeat = configuration.eventHeartbeat
        let resumeFrom = start
        let body = ResponseBody { writer in
            defer { lease.end() }
            var cursor = resumeFrom
            try await withGracefulShutdownHandler {
                reading: while true {
                    guard let current = try await store.operation(id: id, tenantID: tenantID) else { break }
                    // Log lines in pages, so a long log never sits in memory whole.
                    let logs = try await store.logs(operationID: id, after: cursor.logID, limit: Self.logPage)
                    let events = cursor.advance(to: logs.count == Self.logPage ? nil : current, logs: logs)
                    if !events.isEmpty { try await writer.write(ByteBuffer(string: events.joined())) }
                    if logs.count == Self.logPage { continue }
                    if current.done { break }
                    // Idle: a comment per heartbeat, and a read only when the feed rings.
                    while !(await watch.wait(upTo: heartbeat)) {
                        if watch.isClosed { break reading }
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                    // Shutting down: end the stream where it is; the client resumes elsewhere.
                    if watch.isClosed { break }
                }
            } onGracefulShutdown: {
                watch.close()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body
        )
    }

    /// Log lines read and sent at a time by an event stream.
    static var logPage: Int { 500 }

    static func busy(_ feed: ChangeFeed) -> Problem {
        var problem = Problem(
            status: .serviceUnavailable, title: "Too many waiters",
            detail: "This node already holds \(feed.limit) long polls and event streams; try again shortly.")
        problem.headers[.retryAfter] = "5"
        return problem
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
