import LongrunCore
import NIOCore
import PostgresNIO

// Core's JSON-shaped values travel as jsonb; the store never sees them as text.
extension OperationError: PostgresCodable {}

/// JSON values as jsonb, written and read by `JSONValue`'s own text codec rather than
/// Foundation's coders (the hot path of every claim and ending; see `JSONValue+Text`).
extension JSONValue: PostgresEncodable, PostgresDecodable {
    public static var psqlType: PostgresDataType { .jsonb }
    public static var psqlFormat: PostgresFormat { .binary }

    /// jsonb's binary format: a version byte, then the text.
    private static let jsonbVersion: UInt8 = 1

    public func encode<Encoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<Encoder>
    ) throws {
        byteBuffer.writeInteger(Self.jsonbVersion)
        byteBuffer.writeBytes(jsonBytes)
    }

    public init<Decoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<Decoder>
    ) throws {
        switch (format, type) {
        case (.binary, .jsonb):
            guard buffer.readInteger(as: UInt8.self) == Self.jsonbVersion else {
                throw PostgresDecodingError.Code.failure
            }
        case (.binary, .json), (.text, .json), (.text, .jsonb):
            break
        default:
            throw PostgresDecodingError.Code.typeMismatch
        }
        guard let value = JSONValue(jsonBytes: buffer.readableBytesView) else {
            throw PostgresDecodingError.Code.failure
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        self = value
    }
}
