import Foundation
import Testing
@testable import ScaleQuant

@Suite("IO: dtypes and header literals")
struct IODTypeTests {
    @Test("names round-trip", arguments: DType.allCases)
    func namesRoundTrip(_ d: DType) {
        #expect(DType(safetensorsName: d.safetensorsName) == d)
        if let descr = d.npyDescr { #expect(DType(npyDescr: descr) == d) }
        #expect(DType(rawValue: d.rawValue) == d)
        #expect((d.floatFormat != nil) == [.float16, .bfloat16, .float8E4M3FN, .float8E5M2].contains(d))
    }

    @Test("encode then decode is the identity on representable values", arguments: DType.allCases)
    func codecRoundTrip(_ d: DType) throws {
        let values: [Double] = d.isFloatingPoint ? [0, -0.0, 1, -1.5, 0.25, 2, -448] : d == .bool ? [0, 1, 1] : [0, 1, 2, 100]
        var bytes: [UInt8] = []
        #expect(d.encode(values, into: &bytes) == nil)
        #expect(bytes.count == values.count * d.byteSize)
        #expect(IOFixtures.identical(d.decode(bytes, offset: 0, count: values.count), values))
    }

    @Test func knownBitPatterns() {
        var bytes: [UInt8] = []
        _ = DType.bfloat16.encode([1, -2], into: &bytes)
        _ = DType.float16.encode([1], into: &bytes)
        _ = DType.float8E5M2.encode([-57344], into: &bytes)
        #expect(bytes == [0x80, 0x3F, 0x00, 0xC0, 0x00, 0x3C, 0xFB])
    }

    @Test func conversionChecksRepresentability() throws {
        let a = NDArray(vector: [0.5, 300], dtype: .float32)
        #expect(try a.converted(to: .bfloat16).dtype == .bfloat16)
        #expect(throws: FileFormatError.self) { try a.converted(to: .int8) }
        #expect(throws: FileFormatError.self) { try a.converted(to: .float8E4M3FN) }
        #expect(throws: FileFormatError.self) { try NDArray(shape: [2, 2], values: [1, 2, 3]) }
        #expect(throws: FileFormatError.self) { try NDArray(shape: [-1], values: []) }
        #expect(try NDArray(shape: [], values: [7]).count == 1)
    }

    @Test func pythonLiteralParser() throws {
        let text = #"{"a": 'it\'s', 'b': (1, -2,), 'c': [True, None, False], 'd': {}, 'e': 3L, }"#
        let v = try PythonLiteral.parse(text)
        #expect(v == .dict([(.string("a"), .string("it's")), (.string("b"), .tuple([.int(1), .int(-2)])),
                            (.string("c"), .list([.bool(true), .none, .bool(false)])), (.string("d"), .dict([])),
                            (.string("e"), .int(3))]))
        #expect(try PythonLiteral.parse("  ()  ") == .tuple([]))
        for bad in ["", "{", "{'a' 1}", "'open", "(1 2)", "Truex", "{'a': 1} extra", "-", String(repeating: "(", count: 100)] {
            #expect(throws: PythonLiteral.ParseError.self, "\(bad)") { _ = try PythonLiteral.parse(bad) }
        }
    }
}
