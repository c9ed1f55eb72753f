import Foundation
import HTTPTypes
import HummingbirdTesting
import LongrunAPI
import LongrunCore
import LongrunTesting
import PostgresNIO
import Testing

/// Another tenant's operation is a 404 on every route that names one, and nothing of it
/// changes. The routes come from the node's own route table, so a route added later is
/// covered without touching this test.
@Suite struct TenantIsolationTests {
    @Test func everyRouteNamingAnOperationIs404ForAnotherTenantAndChangesNothing() async throws {
        try await APIHarness.run { api in
            let id = try await api.createSleeper(#","callback_url":"http://127.0.0.1:9/hook""#)
            let uuid = try #require(UUID(uuidString: id))
            try await api.finish(uuid, result: .object(["rows": .integer(1)]))
            let listed = try await api.send(.get, "/v1/operations/\(id)/deliveries").json()
            guard case .array(let deliveries)? = listed["deliveries"], case .object(let delivery)? = deliveries.first,
                let deliveryID = delivery["id"]?.stringValue
            else { throw TestSupportError("no delivery: \(listed)") }
            let before = try await snapshot(of: uuid, in: api.database)

            let routes = api.routes.all.filter { $0.contains("{id}") }
            #expect(routes.count >= 9, "\(routes)")
            for route in routes {
                let (method, path) = try request(for: route, id: id, deliveryID: deliveryID)
                let response = try await api.send(method, path, key: api.globex)
                #expect(response.status == .notFound, "\(route)")
                #expect(try response.problem().title == "Not Found", "\(route)")
            }
            #expect(try await snapshot(of: uuid, in: api.database) == before)

            // The owner reaches the same operation on the same paths: the 404s were the tenant's.
            for route in routes where route.hasPrefix("GET ") {
                let (method, path) = try request(for: route, id: id, deliveryID: deliveryID)
                #expect(try await api.send(method, path).status == .ok, "\(route)")
            }
            let list = try await api.send(.get, "/v1/operations", key: api.globex).json()
            #expect(list["operations"] == .array([]))
        }
    }

    /// The method and a concrete path for a route of the table (`GET /v1/operations/{id}`).
    private func request(
        for route: String, id: String, deliveryID: String
    ) throws -> (HTTPRequest.Method, String) {
        let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, let method = HTTPRequest.Method(parts[0]) else {
            throw TestSupportError("not a route: \(route)")
        }
        var path = parts[1].replacingOccurrences(of: "{id}", with: id)
            .replacingOccurrences(of: "{delivery_id}", with: deliveryID)
        if path.hasSuffix("/wait") { path += "?timeout=0" }
        return (method, path)
    }

    /// Everything stored of the operation, as text: its row, its logs and its deliveries.
    private func snapshot(of id: UUID, in database: TestDatabase) async throws -> String {
        let rows = try await database.rows(
            """
            SELECT (SELECT row_to_json(o)::text FROM operations o WHERE o.id = \(id))
                || (SELECT coalesce(string_agg(row_to_json(l)::text, ',' ORDER BY l.id), '')
                    FROM operation_logs l WHERE l.operation_id = \(id))
                || (SELECT coalesce(string_agg(row_to_json(d)::text, ',' ORDER BY d.id), '')
                    FROM webhook_deliveries d WHERE d.operation_id = \(id))
            """)
        return try rows.first?.decode(String.self) ?? ""
    }
}
