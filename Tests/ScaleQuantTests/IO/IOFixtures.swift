import Foundation
@testable import ScaleQuant

/// Locates the IO fixtures and the expected values `scripts/make_io_fixtures.py` recorded.
enum IOFixtures {
    /// The fixtures directory `Fixtures/io`.
    static var directory: String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { return "/nonexistent" }
        return url.appendingPathComponent("io").path
    }

    /// The path of one fixture.
    static func path(_ name: String) -> String { directory + "/" + name }

    /// The raw bytes of one fixture (empty if missing; tests then fail on the comparison).
    static func bytes(_ name: String) -> [UInt8] {
        FileManager.default.contents(atPath: path(name)).map { [UInt8]($0) } ?? []
    }

    /// One expected array as recorded by the generator script.
    struct Expected {
        var dtype: String
        var shape: [Int]
        var values: [Double]
    }

    /// All expected arrays, keyed like `f4_1d.npy` or `pair.npz/weights`.
    static let expected: [String: Expected] = {
        guard let data = FileManager.default.contents(atPath: path("expected.json")),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var out: [String: Expected] = [:]
        for (key, value) in root {
            guard let obj = value as? [String: Any], let dtype = obj["dtype"] as? String,
                  let shape = obj["shape"] as? [Any], let values = obj["values"] as? [String] else { continue }
            out[key] = Expected(dtype: dtype, shape: shape.compactMap { ($0 as? NSNumber)?.intValue },
                                values: values.map { Double($0) ?? .signalingNaN })
        }
        return out
    }()

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
