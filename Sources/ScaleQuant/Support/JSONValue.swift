/// A JSON value with objects in insertion order, so the output is stable and diff-friendly. Serialized by
/// ``rendered``; non-finite numbers become `null` (JSON has no NaN or infinity).
public enum JSONValue: Sendable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// An integer, printed exactly.
    case integer(Int)
    /// An unsigned integer, printed exactly (counts that exceed `Int`).
    case unsigned(UInt64)
    /// A binary64 number, printed shortest round-trip; non-finite values print as `null`.
    case number(Double)
    /// A string, escaped.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, keys in the given order.
    case object([(String, JSONValue)])

    /// `.number(x)`, or `.null` for `nil`.
    public static func nullable(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .null }
    /// `.integer(x)`, or `.null` for `nil`.
    public static func nullable(_ x: Int?) -> JSONValue { x.map { .integer($0) } ?? .null }
    /// `.unsigned(x)`, or `.null` for `nil`.
    public static func nullable(_ x: UInt64?) -> JSONValue { x.map { .unsigned($0) } ?? .null }
    /// `.string(s)`, or `.null` for `nil`.
    public static func nullable(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }

    /// Compact JSON text (`", "` and `": "` separators). With `pretty`, for a file a person reads: an array
    /// puts each element on its own line; an object puts each key on its own line, and the elements of an array
    /// value that holds objects on lines of their own (one level deep: everything inside an element stays compact).
    public func rendered(pretty: Bool = false) -> String {
        if pretty {
            func lines(_ items: [JSONValue], indent: String) -> String {
                "[\n" + items.map { indent + "  " + $0.rendered() }.joined(separator: ",\n") + "\n" + indent + "]"
            }
            switch self {
            case .array(let items) where !items.isEmpty: return lines(items, indent: "")
            case .object(let pairs) where !pairs.isEmpty:
                return "{\n" + pairs.map { key, value in
                    let text: String
                    if case .array(let items) = value, let first = items.first, case .object = first {
                        text = lines(items, indent: "  ")
                    } else {
                        text = value.rendered()
                    }
                    return "  " + JSONValue.quote(key) + ": " + text
                }.joined(separator: ",\n") + "\n}"
            default: break
            }
        }
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .unsigned(let u): return String(u)
        case .number(let x): return x.isFinite ? NumberText.shortest(x) : "null"
        case .string(let s): return JSONValue.quote(s)
        case .array(let items): return "[" + items.map { $0.rendered() }.joined(separator: ", ") + "]"
        case .object(let pairs):
            return "{" + pairs.map { JSONValue.quote($0.0) + ": " + $0.1.rendered() }.joined(separator: ", ") + "}"
        }
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String { jsonString(s) }
}

/// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
public func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let h = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
