import Foundation
import HTTPTypes
import Hummingbird
import LongrunCore

/// An RFC 9457 problem document: the one shape every error of the API takes.
public struct Problem: HTTPResponseError, Sendable {
    /// One invalid field of a request, for validation errors: the same shape a kind's
    /// own validation reports.
    public typealias FieldError = InputValidationError.FieldError

    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    public var errors: [FieldError]
    public var headers: HTTPFields

    public init(
        status: HTTPResponse.Status, title: String, detail: String, errors: [FieldError] = [],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    /// 400: fields of the request that are malformed.
    static func invalid(_ errors: [FieldError]) -> Problem {
        Problem(
            status: .badRequest, title: "Invalid request",
            detail: "Some fields of the request are not valid; see errors.", errors: errors
        )
    }

    /// 422: a well-formed request this server will not carry out.
    static func unprocessable(_ errors: [FieldError]) -> Problem {
        Problem(
            status: .unprocessableContent, title: "Unprocessable request",
            detail: "The request is well-formed but cannot be accepted; see errors.", errors: errors
        )
    }

    private struct Document: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var errors: [FieldError]?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let document = Document(
            type: "about:blank", title: title, status: status.code, detail: detail,
            errors: errors.isEmpty ? nil : errors
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let body = try encoder.encode(document)
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
