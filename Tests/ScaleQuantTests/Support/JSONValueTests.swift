import Foundation
import Testing
import ScaleQuant

@Suite("JSONValue: the one JSON writer (CLI output, reports, graph specs)")
struct JSONValueTests {
    static let sample: JSONValue = .object([
        ("name", .string("a \"quoted\"\tname\n")), ("n", .integer(-3)), ("u", .unsigned(UInt64.max)),
        ("x", .number(0.1)), ("whole", .number(448)), ("nan", .number(.nan)), ("inf", .number(-.infinity)),
        ("flag", .bool(true)), ("none", .null), ("shape", .array([.integer(1), .integer(8)])),
        ("rows", .array([.object([("k", .integer(1))]), .object([("k", .array([.number(2.5)]))])])),
    ])

    @Test("compact and pretty texts parse back to the same values (non-finite numbers become null)")
    func roundTrip() throws {
        for pretty in [false, true] {
            let text = Self.sample.rendered(pretty: pretty)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(object["name"] as? String == "a \"quoted\"\tname\n")
            #expect(object["n"] as? Int == -3 && (object["u"] as? NSNumber)?.uint64Value == UInt64.max)
            #expect(object["x"] as? Double == 0.1 && object["whole"] as? Double == 448)
            #expect(object["nan"] is NSNull && object["inf"] is NSNull && object["none"] is NSNull)
            #expect(object["flag"] as? Bool == true && object["shape"] as? [Int] == [1, 8])
            let rows = try #require(object["rows"] as? [[String: Any]])
            #expect(rows.count == 2 && rows[0]["k"] as? Int == 1 && rows[1]["k"] as? [Double] == [2.5])
        }
    }

    @Test("layout: compact on one line; pretty puts keys and object elements on lines, numbers shortest")
    func layout() {
        #expect(JSONValue.object([("a", .array([.integer(1), .number(448)]))]).rendered() == "{\"a\": [1, 448]}")
        let pretty = Self.sample.rendered(pretty: true).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(pretty.first == "{" && pretty.last == "}")
        #expect(pretty.contains("  \"shape\": [1, 8],"))   // an array of numbers stays on its key's line
        #expect(pretty.contains("  \"rows\": ["))           // an array of objects: one element per line
        #expect(pretty.contains("    {\"k\": 1},") && pretty.contains("    {\"k\": [2.5]}"))
        #expect(JSONValue.array([.object([])]).rendered(pretty: true) == "[\n  {}\n]")
    }
}
