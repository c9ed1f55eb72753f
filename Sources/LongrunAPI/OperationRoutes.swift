import Foundation
import HTTPTypes
import Hummingbird
import LongrunCore
import Metrics

/// The operations API of the contract: create (also through kind routes), read, list,
/// long poll, event stream, cancel, delete, logs and deliveries. Every route acts for the request's tenant;
/// another tenant's operation is answered exactly like a missing one.
struct OperationRoutes<Store: OperationStore>: Sendable {
    let store: Store
    let registry: HandlerRegistry
    let configuration: APIConfiguration
    let feed: ChangeFeed

    func register(on group: RouterGroup<APIRequestContext>, table: RouteTable) {
        func on(
            _ method: HTTPRequest.Method, _ path: String,
            _ handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Response
        ) {
            table.add(method, path)
            group.on(RouterPath(path), method: method, use: handler)
        }
        on(.post, "/v1/operations") { request, context in
            let body = try await readJSON(request)
            let operation = try OperationRequest.fromBody(body, headers: request.headers)
            return try await create(operation, request: request, context: context)
        }
        on(.get, "/v1/operations") { request, context in try await list(request, context: context) }
        on(.get, "/v1/operations/{id}") { request, context in
            let operation = try await find(request, context: context)
            return try JSONResponse(headers: retryAfter(operation), body: OperationResource(operation: operation))
                .response(from: request, context: context)
        }
        on(.delete, "/v1/operations/{id}") { request, context in try await delete(request, context: context) }
        on(.post, "/v1/operations/{id}/cancel") { request, context in try await cancel(request, context: context) }
        on(.post, "/v1/operations/{id}:cancel") { request, context in try await cancel(request, context: context) }
        on(.get, "/v1/operations/{id}/wait") { request, context in try await wait(request, context: context) }
        on(.get, "/v1/operations/{id}/events") { request, context in try await events(request, context: context) }
        on(.get, "/v1/operations/{id}/logs") { request, context in
            let operation = try await find(request, context: context)
            let logs = try await store.logs(operationID: operation.id, after: nil, limit: nil)
            return try JSONResponse(body: LogsBody(logs: logs.map(LogsBody.Line.init))).response(
                from: request, context: context)
        }
        on(.get, "/v1/operations/{id}/deliveries") { request, context in
            let operation = try await find(request, context: context)
            let deliveries = try await store.deliveries(operationID: operation.id)
            return try JSONResponse(body: DeliveriesBody(deliveries)).response(from: request, context: context)
        }
        on(.post, "/v1/operations/{id}/deliveries/{delivery_id}/retry") { request, context in
            try await retryDelivery(request, context: context)
        }
        for mount in configuration.mounts {
            on(.post, mount.path) { request, context in
                let input = try await readJSON(request)
                let callbackURL = request.uri.queryParameters["callback_url"].map(String.init)
                let operation = try OperationRequest.forMount(
                    mount, input: input, callbackURL: callbackURL, headers: request.headers
                )
                return try await create(operation, request: request, context: context)
            }
        }
    }

    // MARK: Create

    private func create(
        _ operation: OperationRequest, request: Request, context: APIRequestContext
    ) async throws
        -> Response
    {
        let tenant = try context.requireTenant()
        guard registry.knows(operation.kind) else {
            throw Problem.unprocessable([
                .init(
                    field: "kind",
                    message: "is not a kind this service runs (\(registry.kinds.joined(separator: ", ")))")
            ])
        }
        do {
            try registry.validate(kind: operation.kind, input: operation.input)
        } catch let error as InputValidationError {
            throw Problem.unprocessable(error.errors)
        }
        if !configuration.allowPrivateCallbacks {
            for (field, url) in [
                ("callback_url", operation.callbackURL), ("ouro-webhook-url", operation.ouro.webhookURL),
            ] {
                if let url { try await CallbackURL.checkDestination(url, field: field) }
            }
        }
        let key = try request.headers[.idempotencyKey].map(IdempotencyKey.parse)
        let now = Date()
        let new = NewOperation(
            id: OperationID.make(at: now), tenantID: tenant.id, kind: operation.kind, input: operation.input,
            metadata: operation.metadata, queue: operation.queue, priority: operation.priority,
            maxAttempts: operation.maxAttempts, deadline: operation.timeoutSeconds.map { now.addingTimeInterval($0) },
            callbackURL: operation.callbackURL, ouro: operation.ouro.context,
            idempotency: key.map {
                IdempotencyRecord(
                    key: $0, fingerprint: operation.fingerprint,
                    expiresAt: now.addingTimeInterval(configuration.idempotencyKeyLifetime.inSeconds)
                )
            }
        )
        let stored: OperationRecord
        var headers: HTTPFields = [:]
        switch try await store.createOperation(new) {
        case .created(let operation):
            stored = operation
            Counter(label: "longrun_operations_created_total", dimensions: [("kind", operation.kind)]).increment()
        case .replayed(let operation):
            stored = operation
            headers[.idempotentReplayed] = "true"
        case .keyReusedForAnotherRequest:
            throw Problem(
                status: .unprocessableContent,
                title: "Idempotency-Key reused",
                detail: "This Idempotency-Key was used for a different request; use a new key for a new request."
            )
        }
        let location = "/v1/operations/\(stored.id.lowercasedText)"
        headers[.location] = location
        headers[.operationLocation] = location
        headers.append(contentsOf: retryAfter(stored))
        return try JSONResponse(status: .accepted, headers: headers, body: OperationResource(operation: stored))
            .response(from: request, context: context)
    }

    // MARK: Read, list, cancel, delete

    /// The tenant's operation named by the path; 404 for a malformed id too.
    func find(_ request: Request, context: APIRequestContext) async throws -> OperationRecord {
        let (tenantID, id) = try target(context)
        guard let operation = try await store.operation(id: id, tenantID: tenantID) else { throw notFound(context) }
        return operation
    }

    /// The request's tenant and the operation id of its path; a malformed id is a 404,
    /// exactly like an unknown one.
    func target(_ context: APIRequestContext) throws -> (tenantID: Int64, id: UUID) {
        let tenant = try context.requireTenant()
        guard let id = context.parameters.get("id").flatMap({ UUID(uuidString: $0) }) else { throw notFound(context) }
        return (tenant.id, id)
    }

    func notFound(_ context: APIRequestContext) -> Problem {
        Problem(
            status: .notFound, title: "Not Found",
            detail: "There is no operation \(context.parameters.get("id") ?? "") for this API key."
        )
    }

    private func list(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let parameters = request.uri.queryParameters
        var errors: [Problem.FieldError] = []
        var query = OperationQuery(limit: 50)
        if let status = parameters["status"] {
            query.status = OperationStatus(rawValue: String(status))
            if query.status == nil {
                errors.append(
                    .init(field: "status", message: "must be one of pending, running, succeeded, failed, cancelled"))
            }
        }
        if let kind = parameters["kind"] {
            if OperationRequest.isName(String(kind), longest: 200) {
                query.kind = String(kind)
            } else {
                errors.append(.init(field: "kind", message: OperationRequest.kindRule))
            }
        }
        if let size = parameters["page_size"] {
            if let value = Int(size), (1...1000).contains(value) {
                query.limit = value
            } else {
                errors.append(.init(field: "page_size", message: "must be an integer from 1 to 1000"))
            }
        }
        if let token = parameters["page_token"], !token.isEmpty {
            query.before = PageToken.read(String(token))
            if query.before == nil {
                errors.append(.init(field: "page_token", message: "is not a token this server gave out"))
            }
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let pageSize = query.limit
        query.limit += 1  // one more than asked tells whether another page follows
        let found = try await store.operations(tenantID: tenant.id, matching: query)
        let page = Array(found.prefix(pageSize))
        let next = found.count > pageSize ? page.last.map { PageToken.make(after: $0.id) } : nil
        return try JSONResponse(body: ListBody(operations: page.map(OperationResource.init), nextPageToken: next))
            .response(from: request, context: context)
    }

    private func cancel(_ request: Request, context: APIRequestContext) async throws -> Response {
        let (tenantID, id) = try target(context)
        switch try await store.cancelOperation(id: id, tenantID: tenantID) {
        case .cancelled(let operation):
            return try JSONResponse(body: OperationResource(operation: operation)).response(
                from: request, context: context)
        case .alreadyFinished(let status):
            throw Problem(
                status: .conflict, title: "Already finished",
                detail:
                    "The operation is already \(status.rawValue); only pending or running operations can be cancelled."
            )
        case .notFound:
            throw notFound(context)
        }
    }

    private func delete(_ request: Request, context: APIRequestContext) async throws -> Response {
        let (tenantID, id) = try target(context)
        switch try await store.deleteOperation(id: id, tenantID: tenantID) {
        case .deleted:
            return Response(status: .noContent)
        case .notFinished(let status):
            throw Problem(
                status: .conflict, title: "Not finished",
                detail:
                    "The operation is still \(status.rawValue); cancel it or wait until it is done before deleting it."
            )
        case .notFound:
            throw notFound(context)
        }
    }

    private func retryDelivery(_ request: Request, context: APIRequestContext) async throws -> Response {
        let operation = try await find(request, context: context)
        let text = context.parameters.get("delivery_id") ?? ""
        let missing = Problem(
            status: .notFound, title: "Not Found", detail: "There is no delivery \(text) of this operation.")
        guard let id = WebhookDelivery.id(fromWebhookID: text) else { throw missing }
        switch try await store.retryDelivery(id: id, operationID: operation.id) {
        case .queued:
            return Response(status: .accepted)
        case .alreadyPending:
            throw Problem(
                status: .conflict, title: "Already pending",
                detail: "The delivery is pending already; the notifier sends it when it is due."
            )
        case .notFound:
            throw missing
        }
    }

    // MARK: Helpers

    /// The body as JSON, within the node's size limit.
    private func readJSON(_ request: Request) async throws -> JSONValue {
        var request = request
        // A body declared too large is refused before a byte of it is read.
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > configuration.bodyLimit {
            throw HTTPError(.contentTooLarge)
        }
        let buffer = try await request.collectBody(upTo: configuration.bodyLimit)
        guard buffer.readableBytes > 0 else { return .emptyObject }
        do {
            return try JSONValue.parse(jsonBytes: buffer.readableBytesView)
        } catch {
            throw Problem.invalid([.init(field: "body", message: "is not valid JSON: it \(error)")])
        }
    }

    /// How long a client should wait before polling again: a second for a young
    /// operation, growing with its age to at most 30 s; nothing once it is done.
    func retryAfter(_ operation: OperationRecord) -> HTTPFields {
        guard !operation.done else { return [:] }
        let age = Date().timeIntervalSince(operation.createdAt)
        return [.retryAfter: String(min(30, max(1, Int(age / 10))))]
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let operationLocation = HTTPField.Name("Operation-Location")!
}
