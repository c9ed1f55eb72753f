import Foundation
import HTTPTypes
import Hummingbird
import LongrunCore

/// A JSON body with a status and headers: what most routes of the API answer.
struct JSONResponse<Body: Encodable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var headers: HTTPFields = [:]
    var body: Body

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(
            status: status,
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: try ResourceJSON.encode(body)))
        )
    }
}
