import Foundation

/// Typed access to one JSON object of a graph spec, with errors naming the file and the object (`node 'conv1'`).
struct GraphSpecReader {
    /// The spec file, for messages.
    let file: String
    /// Where the object is, for messages (e.g. `node 'conv1'`).
    var context: String
    /// The object.
    let object: [String: Any]

    /// An ``GraphError/invalidSpec(file:reason:)`` about this object.
    func fail(_ reason: String) -> GraphError {
        .invalidSpec(file: file, reason: context.isEmpty ? reason : "\(context): \(reason)")
    }

    /// Whether the key is absent or JSON `null`.
    func isMissing(_ key: String) -> Bool { object[key] == nil || object[key] is NSNull }

    /// A required string.
    func string(_ key: String) throws -> String {
        guard let s = object[key] as? String else { throw fail("'\(key)' must be a string") }
        return s
    }

    /// An optional string (`nil` when absent or null).
    func optionalString(_ key: String) throws -> String? {
        if isMissing(key) { return nil }
        return try string(key)
    }

    /// A required list of strings.
    func stringList(_ key: String) throws -> [String] {
        guard let list = object[key] as? [Any], let s = list as? [String] else {
            throw fail("'\(key)' must be a list of strings")
        }
        return s
    }

    /// A nested object.
    func object(_ key: String) throws -> GraphSpecReader {
        guard let o = object[key] as? [String: Any] else { throw fail("'\(key)' must be an object") }
        return GraphSpecReader(file: file, context: context.isEmpty ? key : "\(context).\(key)", object: o)
    }

    /// A required list.
    func list(_ key: String) throws -> [Any] {
        guard let l = object[key] as? [Any] else { throw fail("'\(key)' must be a list") }
        return l
    }

    /// A JSON integer (not a boolean or a float), or `nil`.
    static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber,
              !["c", "B", "d", "f"].contains(String(cString: number.objCType)) else { return nil }
        return value as? Int
    }

    /// A required integer (`default` when absent or null, if given).
    func int(_ key: String, default value: Int? = nil) throws -> Int {
        if isMissing(key), let value { return value }
        guard let i = GraphSpecReader.integer(object[key]) else { throw fail("'\(key)' must be an integer") }
        return i
    }

    /// A required number (`default` when absent or null, if given).
    func double(_ key: String, default value: Double? = nil) throws -> Double {
        if isMissing(key), let value { return value }
        guard let n = object[key] as? NSNumber, String(cString: n.objCType) != "c" else {
            throw fail("'\(key)' must be a number")
        }
        return n.doubleValue
    }

    /// A list of integers.
    func intList(_ key: String) throws -> [Int] {
        guard let l = object[key] as? [Any] else { throw fail("'\(key)' must be a list of integers") }
        let ints = l.compactMap(GraphSpecReader.integer)
        guard ints.count == l.count else { throw fail("'\(key)' must be a list of integers") }
        return ints
    }

    /// An optional list of integers (`nil` when absent or null).
    func optionalIntList(_ key: String) throws -> [Int]? {
        isMissing(key) ? nil : try intList(key)
    }

    /// An integer or a list of two integers, as PyTorch's `kernel_size`, `stride`, `padding` (`default` when
    /// absent or null, if given).
    func pair(_ key: String, default value: (Int, Int)? = nil) throws -> (Int, Int) {
        if isMissing(key), let value { return value }
        if let i = GraphSpecReader.integer(object[key]) { return (i, i) }
        guard let l = try? intList(key), l.count == 2 else {
            throw fail("'\(key)' must be an integer or a list of two integers")
        }
        return (l[0], l[1])
    }
}
