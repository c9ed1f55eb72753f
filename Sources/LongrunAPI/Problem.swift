import Foundation
import Hummingbird

/// An RFC 9457 problem document: the one shape every error of the API takes.
public struct Problem: HTTPResponseError, Sendable {
    /// One invalid field of a request, for validation errors.
    public struct FieldError: Codable, Sendable, Hashable {
        public var field: String
        public var message: String
    }

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
        let body = try JSONEncoder().encode(document)
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
