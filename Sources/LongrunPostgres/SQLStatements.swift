/// Splits a migration file into statements.
///
/// PostgresNIO speaks only the extended query protocol, which takes one statement per
/// query, while migration files hold many. The split honours everything in which a
/// semicolon does not end a statement: quoted strings and identifiers, dollar-quoted
/// bodies, and both kinds of comment.
enum SQLStatements {
    static func split(_ sql: String) -> [String] {
        let characters = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let statement = String(current).trimmingWhitespace()
            if !statement.isEmpty, !isOnlyComments(statement) { statements.append(statement) }
            current = String.UnicodeScalarView()
        }

        while index < characters.count {
            let character = characters[index]
            let next: Unicode.Scalar? = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "'", "\"":
                let end = closing(character, in: characters, from: index + 1)
                current.append(contentsOf: characters[index..<end])
                index = end
            case "-" where next == "-":
                let end = characters[index...].firstIndex(of: "\n") ?? characters.count
                current.append(contentsOf: characters[index..<end])
                index = end
            case "/" where next == "*":
                let end = blockCommentEnd(in: characters, from: index)
                current.append(contentsOf: characters[index..<end])
                index = end
            case "$":
                if let tag = dollarTag(in: characters, at: index) {
                    let end = dollarQuoteEnd(tag: tag, in: characters, from: index + tag.count)
                    current.append(contentsOf: characters[index..<end])
                    index = end
                } else {
                    current.append(character)
                    index += 1
                }
            case ";":
                flush()
                index += 1
            default:
                current.append(character)
                index += 1
            }
        }
        flush()
        return statements
    }

    /// The index after the quote that closes one opened just before `start`; a doubled
    /// quote is an escaped one.
    private static func closing(_ quote: Unicode.Scalar, in characters: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        while index < characters.count {
            if characters[index] == quote {
                if index + 1 < characters.count, characters[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return characters.count
    }

    /// Block comments nest in PostgreSQL.
    private static func blockCommentEnd(in characters: [Unicode.Scalar], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index + 1 < characters.count {
            if characters[index] == "/", characters[index + 1] == "*" {
                depth += 1
                index += 2
            } else if characters[index] == "*", characters[index + 1] == "/" {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return characters.count
    }

    /// `$$` or `$tag$` starting at `start`, if one does.
    private static func dollarTag(in characters: [Unicode.Scalar], at start: Int) -> [Unicode.Scalar]? {
        var index = start + 1
        while index < characters.count {
            let character = characters[index]
            if character == "$" { return Array(characters[start...index]) }
            guard
                character == "_" || character.properties.isAlphabetic
                    || (index > start + 1 && character.properties.numericType != nil)
            else { return nil }
            index += 1
        }
        return nil
    }

    private static func dollarQuoteEnd(tag: [Unicode.Scalar], in characters: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        while index + tag.count <= characters.count {
            if Array(characters[index..<index + tag.count]) == tag { return index + tag.count }
            index += 1
        }
        return characters.count
    }

    private static func isOnlyComments(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { $0.trimmingWhitespace().hasPrefix("--") }
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0.properties.isWhitespace }.reversed().drop { $0.properties.isWhitespace }
        return String(String.UnicodeScalarView(scalars.reversed()))
    }
}
