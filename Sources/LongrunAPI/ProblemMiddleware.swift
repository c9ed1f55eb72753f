import Hummingbird
import Logging
import LongrunCore
import NIOHTTP1

/// Turns every error into an `application/problem+json` answer, in one place: the
/// router's 404 (or 405 when the path exists with other methods), oversized bodies,
/// and anything unexpected, which is logged with its detail and answered without it.
struct ProblemMiddleware: RouterMiddleware {
    let routes: RouteTable
    /// Whether an error means the database is out of reach for now (answered 503).
    var unavailable: @Sendable (any Error) -> Bool = { _ in false }

    func handle(
        _ request: Request, context: APIRequestContext,
        next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPParserError {
            // A body that breaks HTTP/1.1 framing midway (bad chunks, a connection closed
            // early): the client's fault, and often nobody is left to read the answer.
            throw Problem(
                status: .badRequest, title: "Bad Request", detail: "The request body could not be read: \(error).")
        } catch let error as HTTPError where error.status == .notFound {
            throw notFound(request)
        } catch let error as any HTTPResponseError {
            throw Problem(
                status: error.status,
                title: error.status.reasonPhrase,
                detail: error.status == .contentTooLarge
                    ? "The request body is larger than this endpoint accepts." : "\(error.status.reasonPhrase)."
            )
        } catch  where unavailable(error) {
            context.logger.warning(
                "the database is out of reach; answered 503",
                metadata: ["longrun.error": "\(String(reflecting: error))", "longrun.path": "\(request.uri.path)"])
            throw Problem(
                status: .serviceUnavailable, title: "Database unavailable",
                detail: "The database cannot be reached just now. Try again (a create with the same Idempotency-Key).",
                headers: [.retryAfter: "5"])
        } catch {
            context.logger.error(
                "request failed",
                metadata: ["longrun.error": "\(String(reflecting: error))", "longrun.path": "\(request.uri.path)"]
            )
            throw Problem(
                status: .internalServerError,
                title: "Internal Server Error",
                detail: "The request failed on the server; its log has the details (request id \(context.id))."
            )
        }
    }

    private func notFound(_ request: Request) -> Problem {
        let allowed = routes.methods(at: request.uri.path)
        guard allowed.isEmpty else {
            let names = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            return Problem(
                status: .methodNotAllowed,
                title: "Method Not Allowed",
                detail: "\(request.method.rawValue) is not served at \(request.uri.path); it takes \(names).",
                headers: [.allow: names]
            )
        }
        return Problem(
            status: .notFound,
            title: "Not Found",
            detail: "There is no route \(request.method.rawValue) \(request.uri.path)."
        )
    }
}
