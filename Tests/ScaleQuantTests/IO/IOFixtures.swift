import Foundation
@testable import ScaleQuant

/// Locates the IO fixtures and the expected values `scripts/make_io_fixtures.py` recorded.
enum IOFixtures {
    /// The path of one fixture in `Fixtures/io`; throws, naming the path, if it is missing.
    static func path(_ name: String) throws -> String { try TestFixtures.path("io", name) }

    /// The raw bytes of one fixture; throws, naming the path, if it is missing or empty.
    static func bytes(_ name: String) throws -> [UInt8] { try TestFixtures.bytes("io", name) }

    /// One expected array as recorded by the generator script.
    struct Expected {
        var dtype: String
        var shape: [Int]
        var values: [Double]
    }

    /// The expected array recorded under `key` (like `f4_1d.npy` or `pair.npz/weights`); throws if `expected.json`
    /// is missing or malformed, or has no such entry.
    static func expected(_ key: String) throws -> Expected {
        guard let e = try allExpected.get()[key] else {
            throw FixtureError("no entry '\(key)' in \((try? path("expected.json")) ?? "Fixtures/io/expected.json")")
        }
        return e
    }

    /// All expected arrays whose key starts with `prefix`; throws if there are none.
    static func expected(prefix: String) throws -> [String: Expected] {
        let found = try allExpected.get().filter { $0.key.hasPrefix(prefix) }
        guard !found.isEmpty else { throw FixtureError("no entry starting with '\(prefix)' in Fixtures/io/expected.json") }
        return found
    }

    /// All expected arrays, keyed like `f4_1d.npy` or `pair.npz/weights`, or why they could not be read.
    private static let allExpected: Result<[String: Expected], FixtureError> = Result {
        let file = try path("expected.json")
        guard let data = FileManager.default.contents(atPath: file),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError("\(file): not a JSON object")
        }
        var out: [String: Expected] = [:]
        for (key, value) in root {
            guard let obj = value as? [String: Any], let dtype = obj["dtype"] as? String,
                  let shape = obj["shape"] as? [Any], let values = obj["values"] as? [String] else {
                throw FixtureError("\(file): entry '\(key)' lacks dtype, shape or values")
            }
            let numbers = values.compactMap(Double.init)
            guard numbers.count == values.count else { throw FixtureError("\(file): entry '\(key)' has a non-number") }
            let dims = shape.compactMap { ($0 as? NSNumber)?.intValue }
            guard dims.count == shape.count else { throw FixtureError("\(file): entry '\(key)' has a bad shape") }
            out[key] = Expected(dtype: dtype, shape: dims, values: numbers)
        }
        return out
    }.mapError { $0 as? FixtureError ?? FixtureError("\($0)") }

    /// Whether two value lists are identical bit for bit (NaN equals NaN; −0 differs from +0).
    static func identical(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in (x.isNaN && y.isNaN) || (x == y && x.sign == y.sign) }
    }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory() -> String {
        let dir = NSTemporaryDirectory() + "scalequant-io-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The error message thrown by `body`, or `nil` if it did not throw.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
