import Foundation
import Logging
import LongrunAPI
import LongrunCore
import LongrunPostgres
import LongrunTesting
import LongrunWorker
import ServiceLifecycle
import Synchronization
import Testing

@testable import LongrunClient

/// The Swift client against a live API node and worker on a real PostgreSQL: every call.
@Suite(.timeLimit(.minutes(3))) struct ClientTests {
    @Test func submitGetAndWaitFollowAnOperationToItsResult() async throws {
        try await LiveNode.run { node in
            let created = try await node.client.submit(
                SubmitRequest(kind: "demo.sleep", input: .object(["seconds": .number(0.5), "steps": .integer(2)])))
            #expect(created.status == .pending && !created.done)
            #expect(try await node.client.get(created.id).id == created.id)
            let finished = try await node.client.wait(created.id)
            #expect(finished.status == .succeeded && finished.done)
            #expect(finished.result == .object(["steps": .integer(2), "resumed_from": .integer(0)]))
            let logs = try await node.client.logs(created.id).map(\.message)
            #expect(logs.contains("step 2/2"))
        }
    }

    @Test func theSameIdempotencyKeyGivesTheSameOperation() async throws {
        try await LiveNode.run { node in
            let request = SubmitRequest(kind: "demo.noop")
            let first = try await node.client.submit(request, idempotencyKey: "order-42")
            let again = try await node.client.submit(request, idempotencyKey: "order-42")
            #expect(first.id == again.id)
        }
    }

    @Test func refusalsArriveAsTypedProblems() async throws {
        try await LiveNode.run { node in
            do {
                _ = try await node.client.submit(SubmitRequest(kind: "no.such.kind"))
                Issue.record("an unknown kind was accepted")
            } catch let LongrunClientError.problem(status, _, _, errors) {
                #expect(status == 422 && errors.map(\.field) == ["kind"])
            }
            await #expect(throws: LongrunClientError.self) { try await node.client.get(UUID()) }
            let anonymous = LongrunClient(baseURL: node.client.baseURL, apiKey: nil)
            do {
                _ = try await anonymous.get(UUID())
                Issue.record("no key was accepted")
            } catch let error as LongrunClientError {
                #expect(error.status == 401)
            }
        }
    }

    @Test func listWalksEveryPageNewestFirst() async throws {
        try await LiveNode.run(workers: false) { node in
            var ids: [UUID] = []
            for _ in 0..<5 { ids.append(try await node.client.submit(SubmitRequest(kind: "demo.noop")).id) }
            var listed: [UUID] = []
            for try await operation in node.client.list(kind: "demo.noop", pageSize: 2) { listed.append(operation.id) }
            #expect(listed == ids.reversed())
            var pending = 0
            for try await _ in node.client.list(status: .succeeded, pageSize: 2) { pending += 1 }
            #expect(pending == 0)
        }
    }

    @Test func cancelAndDelete() async throws {
        try await LiveNode.run(workers: false) { node in
            let created = try await node.client.submit(SubmitRequest(kind: "demo.noop"))
            let cancelled = try await node.client.cancel(created.id)
            #expect(cancelled.status == .cancelled && cancelled.error?.code == .cancelled)
            try await node.client.delete(created.id)
            do {
                _ = try await node.client.get(created.id)
                Issue.record("a deleted operation was found")
            } catch let error as LongrunClientError {
                #expect(error.status == 404)
            }
        }
    }

    @Test func eventsFollowStatusProgressAndLogsToDone() async throws {
        try await LiveNode.run { node in
            let created = try await node.client.submit(
                SubmitRequest(kind: "demo.sleep", input: .object(["seconds": .number(1.2), "steps": .integer(3)])))
            var statuses: [OperationStatus] = []
            var progress: [Int] = []
            var logs: [String] = []
            var finished: LongrunOperation?
            for try await event in node.client.events(created.id) {
                switch event {
                case .status(let operation): statuses.append(operation.status)
                case .progress(let value, _): progress.append(value ?? -1)
                case .log(let line): logs.append(line.message)
                case .done(let operation): finished = operation
                }
            }
            // Whenever the stream began (on a busy machine, maybe after the finish), it ends
            // with the finish, and every line and the final progress were shown.
            #expect(statuses.last == .succeeded)
            #expect(statuses == statuses.sorted { $0.order < $1.order })
            #expect(progress.last == 100)
            #expect(progress == progress.sorted())
            #expect(logs.contains("step 3/3"))
            #expect(finished?.status == .succeeded)
        }
    }

    @Test func waitFallsBackToPollingWhenTheNodeRefusesLongPolls() async throws {
        // No long poll is ever admitted: the client polls, honouring Retry-After.
        try await LiveNode.run(maxWatchers: 0) { node in
            let created = try await node.client.submit(
                SubmitRequest(kind: "demo.sleep", input: .object(["seconds": .number(0.3), "steps": .integer(1)])))
            let finished = try await node.client.wait(created.id)
            #expect(finished.status == .succeeded)
        }
    }
}

/// The SSE reader, fed the way a network feeds it: cut anywhere.
struct EventStreamParserTests {
    @Test func eventsCutAtEveryByteReadTheSame() {
        let text =
            "id: 1.pending.-\nevent: status\ndata: {\"a\":1}\n\n: keep-alive\n\nid: 2.x.-\r\nevent: log\r\ndata: one\ndata: two\n\n"
        let bytes = Array(text.utf8)
        let expected = [
            EventStreamParser.Event(id: "1.pending.-", name: "status", data: #"{"a":1}"#),
            EventStreamParser.Event(id: "2.x.-", name: "log", data: "one\ntwo"),
        ]
        for cut in 0...bytes.count {
            var parser = EventStreamParser()
            let events = parser.feed(Array(bytes[..<cut])) + parser.feed(Array(bytes[cut...]))
            #expect(events == expected, "cut at \(cut)")
        }
        var bytewise = EventStreamParser()
        #expect(bytes.flatMap { bytewise.feed([$0]) } == expected)
    }
}

/// An API node and (unless told otherwise) a worker, on a fresh database, served on a
/// free loopback port, with a client holding a key of the tenant `acme`.
struct LiveNode {
    let client: LongrunClient

    static func run(
        workers: Bool = true, maxWatchers: Int = 100, _ body: @Sendable (LiveNode) async throws -> Void
    ) async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in
                let tenant = try await store.ensureTenant(named: "acme")
                let key = APIKey.generate()
                try await store.addAPIKey(key, tenantID: tenant.id)
                var logger = Logger(label: "longrun.test.client")
                logger.logLevel = .warning
                let ready = AsyncStream<Int>.makeStream()
                let api = try buildAPI(
                    configuration: APIConfiguration(port: 0, maxWatchers: maxWatchers), store: store,
                    registry: .demoKinds, logger: logger, onServerRunning: { ready.continuation.yield($0) })
                var services: [any Service] = [store.publisher, api]
                if workers {
                    services.append(
                        Worker(
                            store: store, registry: .demoKinds,
                            configuration: WorkerConfiguration(concurrency: 4, pollInterval: .milliseconds(200)),
                            logger: logger))
                }
                let group = ServiceGroup(services: services, logger: logger)
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    var ports = ready.stream.makeAsyncIterator()
                    guard let port = await ports.next() else { throw TestSupportError("the node did not start") }
                    do {
                        try await body(
                            LiveNode(client: LongrunClient(baseURL: "http://127.0.0.1:\(port)", apiKey: key.text)))
                        await group.triggerGracefulShutdown()
                        try await tasks.waitForAll()
                    } catch {
                        tasks.cancelAll()
                        throw error
                    }
                }
            }
        }
    }
}

extension OperationStatus {
    /// Where a status comes in an operation's life, for checking that a stream shows them in order.
    var order: Int {
        switch self {
        case .pending: 0
        case .running: 1
        case .succeeded, .failed, .cancelled: 2
        }
    }
}
