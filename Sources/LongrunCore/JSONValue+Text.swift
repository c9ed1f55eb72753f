/// JSON text for ``JSONValue`` without Foundation's coders, for the store's hot path:
/// every claim reads input, metadata and checkpoint, and every batch of endings writes
/// results, and in the worker's profile Foundation's `JSONEncoder`/`JSONDecoder` (which
/// tries each type in turn for an untyped value) took more CPU than anything else.
extension JSONValue {
    /// Compact JSON text; object keys in sorted order.
    public var jsonText: String {
        String(decoding: jsonBytes, as: UTF8.self)
    }

    /// ``jsonText`` as UTF-8 bytes, written straight into a byte array: the ending of
    /// every operation passes through here (a worker's batch of results), and appending
    /// to a `String` scalar by scalar was a sixth of the worker's time.
    public var jsonBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        write(into: &bytes)
        return bytes
    }

    private func write(into bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): bytes.append(contentsOf: String(value).utf8)
        case .number(let value): bytes.append(contentsOf: (value.isFinite ? "\(value)" : "null").utf8)
        case .string(let value): Self.writeString(value, into: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.write(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                fields[key]!.write(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A string's UTF-8 bytes between quotes. Only `"`, `\` and the control characters
    /// need escaping, all of them ASCII, so every other byte (multi-byte characters
    /// included) is copied as it is.
    private static func writeString(_ value: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var plainFrom = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                bytes.append(contentsOf: utf8[plainFrom..<index])
                plainFrom = index + 1
                switch byte {
                case 0x22: bytes.append(contentsOf: #"\""#.utf8)
                case 0x5C: bytes.append(contentsOf: #"\\"#.utf8)
                case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
                case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
                case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
                // PostgreSQL's jsonb cannot hold U+0000. Requests carrying one are refused;
                // anything else (a handler's output) is kept with U+FFFD in its place, rather
                // than failing the statement that carries it and every row batched with it.
                case 0x00: bytes.append(contentsOf: "\u{FFFD}".utf8)
                default:
                    bytes.append(contentsOf: #"\u00"#.utf8)
                    bytes.append(hexDigits[Int(byte >> 4)])
                    bytes.append(hexDigits[Int(byte & 0x0F)])
                }
            }
            bytes.append(contentsOf: utf8[plainFrom...])
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Parses one JSON document (RFC 8259) from UTF-8 bytes; nil when they are not one.
    public init?(jsonBytes bytes: some Collection<UInt8>) {
        guard let value = try? Self.parse(jsonBytes: bytes) else { return nil }
        self = value
    }

    /// Parses one JSON document, or says why the bytes are not one that Longrun keeps.
    /// Stricter than RFC 8259 where storing would otherwise fail or guess: a name twice
    /// in one object and `\u0000` (PostgreSQL's `jsonb` cannot hold it) are refused.
    public static func parse(jsonBytes bytes: some Collection<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: Array(bytes))
        guard let value = parser.parseDocument() else {
            throw JSONSyntaxError(reason: parser.failure ?? "is not JSON", offset: parser.failureOffset)
        }
        return value
    }
}

/// Why a text is not a JSON document, and the byte offset where the parser found out.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var offset: Int

    public var description: String { "\(reason) (at byte \(offset))" }
}

/// A recursive-descent parser over a byte array; depth-limited so no input can exhaust
/// the stack.
private struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    var depth = 0
    /// The first reason parsing failed, and where: the innermost one, as it unwinds.
    var failure: String?
    var failureOffset = 0
    static let deepest = 512

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseDocument() -> JSONValue? {
        guard let value = parseValue() else { return nil }
        skipWhitespace()
        guard position == bytes.count else { return fail("has text after the JSON value") }
        return value
    }

    /// Records why parsing stopped (unless a deeper reason is recorded) and returns nil.
    private mutating func fail<Value>(_ reason: String) -> Value? {
        if failure == nil {
            failure = reason
            failureOffset = position
        }
        return nil
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func consume(_ literal: String) -> Bool {
        let expected = Array(literal.utf8)
        guard bytes.count - position >= expected.count, Array(bytes[position..<position + expected.count]) == expected
        else { return false }
        position += expected.count
        return true
    }

    private mutating func parseValue() -> JSONValue? {
        skipWhitespace()
        guard position < bytes.count else { return fail("ends where a value should be") }
        switch bytes[position] {
        case UInt8(ascii: "n"): return consume("null") ? .null : fail("has a word that is not null, true or false")
        case UInt8(ascii: "t"):
            return consume("true") ? .bool(true) : fail("has a word that is not null, true or false")
        case UInt8(ascii: "f"):
            return consume("false") ? .bool(false) : fail("has a word that is not null, true or false")
        case UInt8(ascii: "\""): return parseString().map(JSONValue.string)
        case UInt8(ascii: "["): return parseArray()
        case UInt8(ascii: "{"): return parseObject()
        default: return parseNumber()
        }
    }

    private mutating func parseArray() -> JSONValue? {
        var values: [JSONValue] = []
        let complete = parseMembers(closing: UInt8(ascii: "]")) { parser in
            guard let value = parser.parseValue() else { return false }
            values.append(value)
            return true
        }
        return complete ? .array(values) : nil
    }

    private mutating func parseObject() -> JSONValue? {
        var fields: [String: JSONValue] = [:]
        let complete = parseMembers(closing: UInt8(ascii: "}")) { parser in
            parser.skipWhitespace()
            guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "\"") else {
                return parser.fail("has an object member without a quoted name") ?? false
            }
            let start = parser.position
            guard let key = parser.parseString() else { return false }
            parser.skipWhitespace()
            guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: ":") else {
                return parser.fail("has an object name without ':' after it") ?? false
            }
            parser.position += 1
            guard let value = parser.parseValue() else { return false }
            guard fields.updateValue(value, forKey: key) == nil else {
                parser.position = start
                return parser.fail("has the name \"\(key)\" twice in one object") ?? false
            }
            return true
        }
        return complete ? .object(fields) : nil
    }

    /// The members of an array or object after its opening byte, separated by commas,
    /// up to `closing`; false when they are malformed or nested too deep.
    private mutating func parseMembers(closing: UInt8, _ member: (inout JSONParser) -> Bool) -> Bool {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.deepest else {
            return fail("nests arrays and objects deeper than \(Self.deepest)") ?? false
        }
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == closing {
            position += 1
            return true
        }
        while true {
            guard member(&self) else { return false }
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if position < bytes.count, bytes[position] == closing {
                position += 1
                return true
            } else {
                return fail("lacks a ',' or '\(Character(Unicode.Scalar(closing)))' between or after members") ?? false
            }
        }
    }

    private mutating func parseString() -> String? {
        position += 1
        var text: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: text, as: UTF8.self) else {
                    return fail("has a string that is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { return fail("ends inside a string") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"):
                    guard var code = parseHex4() else { return fail("has a \\u escape without four hex digits") }
                    if (0xD800..<0xDC00).contains(code) {
                        // A high surrogate must be followed by an escaped low one.
                        guard consume("\\u"), let low = parseHex4(), (0xDC00..<0xE000).contains(low) else {
                            return fail("has a \\u escape of half a surrogate pair")
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard code != 0 else { return fail("has \\u0000 in a string, which PostgreSQL cannot store") }
                    guard let scalar = Unicode.Scalar(code) else {
                        return fail("has a \\u escape of half a surrogate pair")
                    }
                    text.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: return fail("has an unknown escape in a string")
                }
            case 0..<0x20:
                position -= 1
                return fail("has a control character in a string; escape it")
            default:
                text.append(byte)
            }
        }
        return fail("ends inside a string")
    }

    private mutating func parseHex4() -> UInt32? {
        guard bytes.count - position >= 4 else { return nil }
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[position])).hexDigitValue else { return nil }
            code = code << 4 | UInt32(digit)
            position += 1
        }
        return code
    }

    private mutating func parseNumber() -> JSONValue? {
        let start = position
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) else {
            return fail("has something that is not a JSON value")
        }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard skipDigits() > 0 else { return fail("has a number with no digit after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard skipDigits() > 0 else { return fail("has a number with no digit in its exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { return fail("has a number too large for a double") }
        return .number(value)
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = position
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            position += 1
        }
        return position - start
    }
}
