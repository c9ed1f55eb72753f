import LongrunCore

/// The `Idempotency-Key` header: 1–255 visible ASCII characters, sent bare or as a
/// structured-field string (`"…"`, with `\"` and `\\` escapes), as the IETF draft allows.
enum IdempotencyKey {
    static func parse(_ header: String) throws(Problem) -> String {
        var key = header
        if header.hasPrefix("\"") {
            guard header.count >= 2, header.hasSuffix("\"") else { throw invalid }
            var unescaped = ""
            var escaping = false
            for character in header.dropFirst().dropLast() {
                if escaping {
                    guard character == "\"" || character == "\\" else { throw invalid }
                    unescaped.append(character)
                    escaping = false
                } else if character == "\\" {
                    escaping = true
                } else if character == "\"" {
                    throw invalid
                } else {
                    unescaped.append(character)
                }
            }
            guard !escaping else { throw invalid }
            key = unescaped
        }
        guard (1...255).contains(key.unicodeScalars.count),
            key.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
        else { throw invalid }
        return key
    }

    private static var invalid: Problem {
        Problem.invalid([
            .init(field: "Idempotency-Key", message: "must be 1 to 255 visible ASCII characters, bare or quoted")
        ])
    }
}
