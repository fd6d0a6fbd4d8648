/// A Python literal as found in a `.npy` header: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
enum PythonLiteral: Equatable, Sendable {
    /// A quoted string.
    case string(String)
    /// An integer (arbitrary-size integers that do not fit `Int` are rejected by the parser).
    case int(Int)
    /// `True` or `False`.
    case bool(Bool)
    /// `None`.
    case none
    /// A tuple `( … )`.
    case tuple([PythonLiteral])
    /// A list `[ … ]`.
    case list([PythonLiteral])
    /// A dict `{ … }` with its entries in source order.
    case dict([(key: PythonLiteral, value: PythonLiteral)])

    static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.none, .none): return true
        case (.tuple(let x), .tuple(let y)), (.list(let x), .list(let y)): return x == y
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Parses one literal that must span the whole text (surrounding whitespace allowed).
    ///
    /// - Throws: a ``PythonLiteral/ParseError`` describing the first problem and its character position.
    static func parse(_ text: String) throws(ParseError) -> PythonLiteral {
        var p = Parser(chars: Array(text.unicodeScalars))
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.pos == p.chars.count else { throw p.error("unexpected text after the literal") }
        return v
    }

    /// Why a literal did not parse.
    struct ParseError: Error {
        /// The message, including the character position.
        let message: String
    }

    private struct Parser {
        let chars: [Unicode.Scalar]
        var pos = 0

        func error(_ what: String) -> ParseError { ParseError(message: "\(what) at character \(pos)") }

        mutating func skipSpace() {
            while pos < chars.count, chars[pos].properties.isWhitespace { pos += 1 }
        }

        mutating func value(depth: Int) throws(ParseError) -> PythonLiteral {
            guard depth < 32 else { throw error("nesting too deep") }
            skipSpace()
            guard pos < chars.count else { throw error("unexpected end of text") }
            switch chars[pos] {
            case "'", "\"": return .string(try string())
            case "(": return .tuple(try sequence(close: ")", depth: depth))
            case "[": return .list(try sequence(close: "]", depth: depth))
            case "{": return try dict(depth: depth)
            case "-", "+", "0"..."9": return .int(try integer())
            default:
                for (word, v) in [("True", PythonLiteral.bool(true)), ("False", .bool(false)), ("None", .none)]
                where matches(word) {
                    pos += word.unicodeScalars.count
                    return v
                }
                throw error("unexpected character '\(chars[pos])'")
            }
        }

        func matches(_ word: String) -> Bool {
            let w = Array(word.unicodeScalars)
            guard pos + w.count <= chars.count, Array(chars[pos..<pos + w.count]) == w else { return false }
            let end = pos + w.count
            return end == chars.count || !(chars[end].properties.isAlphabetic || chars[end] == "_")
        }

        mutating func string() throws(ParseError) -> String {
            let quote = chars[pos]
            pos += 1
            var out = String.UnicodeScalarView()
            while pos < chars.count {
                let c = chars[pos]
                pos += 1
                if c == quote { return String(out) }
                if c == "\n" { break }
                if c == "\\" {
                    guard pos < chars.count else { break }
                    let e = chars[pos]
                    pos += 1
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "\\", "'", "\"": out.append(e)
                    default: out.append("\\"); out.append(e)
                    }
                } else {
                    out.append(c)
                }
            }
            throw error("unterminated string")
        }

        mutating func integer() throws(ParseError) -> Int {
            let start = pos
            if chars[pos] == "-" || chars[pos] == "+" { pos += 1 }
            let digitsStart = pos
            while pos < chars.count, ("0"..."9").contains(chars[pos]) { pos += 1 }
            guard pos > digitsStart else { throw error("expected a digit") }
            let text = String(String.UnicodeScalarView(chars[start..<pos]))
            if pos < chars.count, chars[pos] == "L" || chars[pos] == "l" { pos += 1 }  // Python 2 long suffix
            guard let v = Int(text) else { throw error("integer \(text) is too large") }
            return v
        }

        mutating func sequence(close: Unicode.Scalar, depth: Int) throws(ParseError) -> [PythonLiteral] {
            pos += 1
            var items: [PythonLiteral] = []
            while true {
                skipSpace()
                guard pos < chars.count else { throw error("missing '\(close)'") }
                if chars[pos] == close { pos += 1; return items }
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard pos < chars.count else { throw error("missing '\(close)'") }
                if chars[pos] == "," { pos += 1 } else if chars[pos] != close { throw error("expected ',' or '\(close)'") }
            }
        }

        mutating func dict(depth: Int) throws(ParseError) -> PythonLiteral {
            pos += 1
            var entries: [(key: PythonLiteral, value: PythonLiteral)] = []
            while true {
                skipSpace()
                guard pos < chars.count else { throw error("missing '}'") }
                if chars[pos] == "}" { pos += 1; return .dict(entries) }
                let key = try value(depth: depth + 1)
                skipSpace()
                guard pos < chars.count, chars[pos] == ":" else { throw error("expected ':' after a dict key") }
                pos += 1
                let v = try value(depth: depth + 1)
                entries.append((key, v))
                skipSpace()
                guard pos < chars.count else { throw error("missing '}'") }
                if chars[pos] == "," { pos += 1 } else if chars[pos] != "}" { throw error("expected ',' or '}'") }
            }
        }
    }
}
