import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LongrunAPI
import LongrunCore
import LongrunPostgres
import LongrunTesting
import PostgresNIO
import Testing

/// The long poll and the event stream: woken through the node's one LISTEN, bounded,
/// resumable, and robust to the LISTEN connection dying.
@Suite(.timeLimit(.minutes(3))) struct WaitAndEventsTests {
    @Test func aWaitOnAFinishedOperationAnswersAtOnce() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            try await api.send(.post, "/v1/operations/\(id)/cancel")
            let response = try await api.send(.get, "/v1/operations/\(id)/wait")
            #expect(response.status == .ok)
            #expect(try response.json()["status"] == .string("cancelled"))
            #expect(response.headers[.retryAfter] == nil)
        }
    }

    @Test func aWaitAnswersWhenTheOperationFinishes() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            let uuid = try #require(UUID(uuidString: id))
            async let waited = api.send(.get, "/v1/operations/\(id)/wait?timeout=30")
            try await api.waitForWatchers(1)
            let finished = ContinuousClock.now
            try await api.finish(uuid, result: .object(["ok": .bool(true)]))
            let response = try await waited
            let elapsed = ContinuousClock.now - finished
            #expect(response.status == .ok)
            #expect(try response.json()["status"] == .string("succeeded"))
            // Loosely (a benchmark measures it tightly): far below the 30 s timeout, so the
            // finish woke the waiter, even on a machine busy with the rest of the suite.
            #expect(elapsed < .seconds(10), "\(elapsed)")
        }
    }

    /// Publishers skip `longrun_changed` until a node has a waiter; a waiter makes them
    /// announce before its read (what `aWaitAnswersWhenTheOperationFinishes` relies on).
    /// An event stream registers its watch even on a finished operation.
    @Test(arguments: ["wait?timeout=0.1", "events"])
    func onlyAWaiterMakesPublishersAnnounceChanges(path: String) async throws {
        try await APIHarness.run { api in
            let announcing: PostgresQuery =
                "SELECT count(*) FROM change_feed WHERE watched_until > now() + interval '15 seconds'"
            let id = try await api.createSleeper()
            if path == "events" { try await api.send(.post, "/v1/operations/\(id)/cancel") }
            #expect(try await api.send(.get, "/v1/operations/\(id)").status == .ok)
            #expect(try await api.database.count(announcing) == 0)
            #expect(try await api.send(.get, "/v1/operations/\(id)/\(path)").status == .ok)
            #expect(try await api.database.count(announcing) == 1)
        }
    }

    @Test func aWaitTimesOutWithTheCurrentResourceAndRetryAfter() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            let started = ContinuousClock.now
            let response = try await api.send(.get, "/v1/operations/\(id)/wait?timeout=0.4")
            #expect(ContinuousClock.now - started >= .milliseconds(400))
            #expect(response.status == .ok)
            #expect(try response.json()["done"] == .bool(false))
            #expect(response.headers[.retryAfter] != nil)
        }
    }

    @Test(arguments: ["-1", "61", "abc", "nan", "inf", ""])
    func aBadTimeoutIsRefused(timeout: String) async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            let response = try await api.send(.get, "/v1/operations/\(id)/wait?timeout=\(timeout)")
            #expect(response.status == .badRequest)
            #expect(try response.problem().fields == ["timeout"])
        }
    }

    @Test func waitAndEventsOfAnotherTenantsOperationAreNotFound() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            for path in ["wait?timeout=0", "events"] {
                #expect(try await api.send(.get, "/v1/operations/\(id)/\(path)", key: api.globex).status == .notFound)
                #expect(try await api.send(.get, "/v1/operations/\(UUID())/\(path)").status == .notFound)
                #expect(try await api.send(.get, "/v1/operations/nonsense/\(path)").status == .notFound)
            }
        }
    }

    @Test func pastItsBoundTheNodeAnswers503WithRetryAfter() async throws {
        try await APIHarness.run(configuration: .init(allowPrivateCallbacks: true, maxWatchers: 1)) { api in
            let id = try await api.createSleeper()
            let uuid = try #require(UUID(uuidString: id))
            try await api.withConcurrentClient { client in
                async let holding = client.get("/v1/operations/\(id)/wait?timeout=60")
                try await api.waitForWatchers(1)
                for path in ["wait?timeout=1", "events"] {
                    let refused = try await client.get("/v1/operations/\(id)/\(path)")
                    #expect(refused.status == 503)
                    #expect(refused.headers["retry-after"] == "5")
                    #expect(refused.headers["content-type"] == "application/problem+json")
                    #expect(refused.body.contains("Too many waiters"))
                }
                try await api.finish(uuid, result: .emptyObject)
                #expect(try await holding.status == 200)
            }
            // The slot is free again.
            #expect(try await api.send(.get, "/v1/operations/\(id)/wait?timeout=0").status == .ok)
        }
    }

    @Test func aWaiterStillWakesWhenTheListenConnectionIsKilled() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            let uuid = try #require(UUID(uuidString: id))
            async let waited = api.send(.get, "/v1/operations/\(id)/wait?timeout=30")
            try await api.waitForWatchers(1)
            let killed = try await api.database.count(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                """)
            #expect(killed == 1)
            let finished = ContinuousClock.now
            try await api.finish(uuid, result: .emptyObject)
            let response = try await waited
            #expect(try response.json()["status"] == .string("succeeded"))
            // Woken by the reconnected LISTEN, not by the 30 s timeout.
            #expect(ContinuousClock.now - finished < .seconds(10))
        }
    }

    @Test func aThousandWaitersShareOneListenConnection() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            let uuid = try #require(UUID(uuidString: id))
            try await api.withConcurrentClient { client in
                try await withThrowingTaskGroup(of: String.self) { group in
                    // In steps of 100, so the connections open at a pace a busy machine keeps up with.
                    let deadline = ContinuousClock.now + .seconds(90)
                    for step in 1...10 {
                        for _ in 0..<100 {
                            group.addTask {
                                // All thousand read the operation again at once when it ends. A
                                // node whose pool frees no connection within its wait answers 503
                                // with Retry-After (a loaded CI machine has); a client asks again,
                                // and then the finished operation answers at once.
                                var answer = try await client.get("/v1/operations/\(id)/wait?timeout=60")
                                for _ in 0..<5 where answer.status == 503 {
                                    #expect(answer.headers["retry-after"] != nil)
                                    try await Task.sleep(for: .seconds(1))
                                    answer = try await client.get("/v1/operations/\(id)/wait?timeout=60")
                                }
                                return answer.body
                            }
                        }
                        while api.watchers < step * 100, ContinuousClock.now < deadline {
                            try await Task.sleep(for: .milliseconds(20))
                        }
                    }
                    #expect(api.watchers == 1000)
                    let listening = try await api.database.count(
                        """
                        SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                        """)
                    #expect(listening == 1)
                    let connections = try await api.database.count(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                    #expect(connections <= 25, "a connection per waiter?")
                    try await api.finish(uuid, result: .emptyObject)
                    var succeeded = 0
                    for try await body in group where body.contains(#""status":"succeeded""#) { succeeded += 1 }
                    #expect(succeeded == 1000)
                }
            }
            #expect(api.watchers == 0)
        }
    }

    @Test func eventsStreamStatusProgressAndLogsThenDoneAndResumeExactly() async throws {
        // The default heartbeat (15 s): every change must arrive through the feed.
        try await APIHarness.run { api in
            let id = try await api.createSleeper()
            let uuid = try #require(UUID(uuidString: id))
            let text = try await api.withConcurrentClient { client in
                let response = try await client.http.execute(
                    client.request("/v1/operations/\(id)/events"), timeout: .seconds(60))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "content-type") == "text/event-stream")
                var text = ""
                var step = 0
                var token: UUID?
                var claimed = ContinuousClock.now
                for try await chunk in response.body {
                    text += String(buffer: chunk)
                    // Each change is made once the stream has shown the one before.
                    if step == 0, text.contains(#""status":"pending""#) {
                        step = 1
                        token = try await api.claim(uuid)
                        claimed = .now
                    } else if step == 1, text.contains(#""status":"running""#), let token {
                        step = 2
                        #expect(ContinuousClock.now - claimed < .seconds(10), "the claim was announced")
                        _ = try await api.store.record([
                            ProgressReport(
                                operationID: uuid, leaseToken: token, progress: 50, message: "half way",
                                logs: [.init(.info, "half way"), .init(.warning, "disk slow")])
                        ])
                    } else if step == 2, text.contains("disk slow"), text.contains(#""progress":50"#), let token {
                        step = 3
                        _ = try await api.store.complete(
                            id: uuid, leaseToken: token, result: .object(["n": .integer(1)]))
                    }
                }
                return text
            }
            let events = ServerSentEvent.parse(text)
            let names = events.map(\.name)
            #expect(names.first == "status" && names.last == "done")
            #expect(
                events.filter { $0.name == "status" }.compactMap { Self.field("status", of: $0) }
                    == ["pending", "running", "succeeded"])
            let logMessages = events.filter { $0.name == "log" }.compactMap { Self.field("message", of: $0) }
            #expect(logMessages == ["half way", "disk slow"])
            #expect(events.contains { $0.name == "progress" && Self.field("message", of: $0) == "half way" })
            // Every event moves the position, but `done`, which closes the stream where it is.
            #expect(Set(events.dropLast().map(\.id)).count == events.count - 1)

            // Resume after the first log line: the rest, nothing twice.
            let firstLog = try #require(events.firstIndex { $0.name == "log" })
            let resumed = try await api.send(
                .get, "/v1/operations/\(id)/events", headers: [.lastEventID: events[firstLog].id])
            let rest = ServerSentEvent.parse(String(buffer: resumed.body))
            #expect(rest.filter { $0.name == "log" }.compactMap { Self.field("message", of: $0) } == ["disk slow"])
            #expect(
                rest.filter { $0.name == "status" }.compactMap { Self.field("status", of: $0) } == ["succeeded"],
                "resumed at \(events[firstLog].id): \(String(buffer: resumed.body))")
            #expect(rest.last?.name == "done")
            // Resumed at the end: only the closing `done`.
            let atEnd = try await api.send(
                .get, "/v1/operations/\(id)/events", headers: [.lastEventID: try #require(events.last).id])
            #expect(ServerSentEvent.parse(String(buffer: atEnd.body)).map(\.name) == ["done"])

            let bad = try await api.send(.get, "/v1/operations/\(id)/events", headers: [.lastEventID: "junk"])
            #expect(bad.status == .badRequest)
            #expect(try bad.problem().fields == ["Last-Event-ID"])
        }
    }

    @Test func anIdleStreamSendsKeepAliveComments() async throws {
        let configuration = APIConfiguration(allowPrivateCallbacks: true, eventHeartbeat: .milliseconds(200))
        try await APIHarness.run(configuration: configuration) { api in
            let id = try await api.createSleeper()
            let text = try await api.withConcurrentClient { client in
                async let streamed = client.get("/v1/operations/\(id)/events")
                try await api.waitForWatchers(1)
                try await Task.sleep(for: .milliseconds(700))
                try await api.send(.post, "/v1/operations/\(id)/cancel")
                return try await streamed.body
            }
            #expect(text.components(separatedBy: ": keep-alive").count >= 3, "\(text)")
            #expect(ServerSentEvent.parse(text).last?.name == "done")
        }
    }

    static func field(_ name: String, of event: ServerSentEvent) -> String? {
        guard case .object(let fields)? = JSONValue(jsonBytes: Array(event.data.utf8)),
            case .string(let value)? = fields[name]
        else { return nil }
        return value
    }
}

/// One event of a `text/event-stream` body.
struct ServerSentEvent {
    var id = ""
    var name = "message"
    var data = ""

    static func parse(_ text: String) -> [ServerSentEvent] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var event = ServerSentEvent()
            var sawData = false
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
                let value = parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
                switch parts[0] {
                case "id": event.id = value
                case "event": event.name = value
                case "data":
                    event.data = value
                    sawData = true
                default: break
                }
            }
            return sawData ? event : nil
        }
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
