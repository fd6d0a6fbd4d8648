import Foundation
import Testing
@testable import ScaleQuant

@Suite("IO: safetensors")
struct IOSafeTensorsTests {
    @Test("reads every tensor exactly", arguments: ["library.safetensors", "mixed.safetensors"])
    func readsFixture(_ file: String) throws {
        let st = try SafeTensorsFile.read(IOFixtures.path(file))
        let expected = try IOFixtures.expected(prefix: file + "/")
        #expect(st.tensors.count == expected.count)
        for (key, e) in expected {
            let array = try #require(st[String(key.dropFirst(file.count + 1))])
            #expect(array.dtype.rawValue == e.dtype, "\(key)")
            #expect(array.shape == e.shape, "\(key)")
            #expect(IOFixtures.identical(array.values, e.values), "\(key)")
        }
    }

    @Test func metadataIsPreserved() throws {
        let lib = try SafeTensorsFile.read(IOFixtures.path("library.safetensors"))
        #expect(lib.metadata == ["format": "np", "note": "fixture"])
        let mixed = try SafeTensorsFile.read(IOFixtures.path("mixed.safetensors"))
        #expect(mixed.metadata == ["producer": "make_io_fixtures", "quant": "e4m3"])
    }

    @Test("round trip: read → write → read is equal", arguments: ["library.safetensors", "mixed.safetensors"])
    func roundTrip(_ file: String) throws {
        let st = try SafeTensorsFile.read(IOFixtures.path(file))
        let dir = IOFixtures.temporaryDirectory()
        try st.write(to: dir + "/out.safetensors", refusingToOverwrite: [IOFixtures.path(file)])
        let back = try SafeTensorsFile.read(dir + "/out.safetensors")
        #expect(back.metadata == st.metadata)
        #expect(back.tensors.map(\.name) == st.tensors.map(\.name).sorted())
        for t in st.tensors {
            #expect(back[t.name]?.dtype == t.array.dtype && back[t.name]?.shape == t.array.shape)
            #expect(IOFixtures.identical(back[t.name]?.values ?? [], t.array.values), "\(t.name)")
        }
    }

    @Test func mixedFixtureIsReproducedByteForByte() throws {
        // The script writes mixed.safetensors in the same layout as the Swift writer (sorted, compact, padded).
        let bytes = try IOFixtures.bytes("mixed.safetensors")
        #expect(try SafeTensorsFile.decode(bytes).encode() == bytes)
    }

    @Test func writesQuantizedCodesAndRejectsOffGridValues() throws {
        let onGrid = SafeTensorsFile(tensors: [.init(name: "w", array: try NDArray(shape: [2, 2], values: [0.5, -448, 0.001953125, 1.75], dtype: .float8E4M3FN))])
        let bytes = try onGrid.encode()
        #expect(Array(bytes.suffix(4)) == [0x30, 0xFE, 0x01, 0x3E])
        #expect(try SafeTensorsFile.decode(bytes) == onGrid)
        let offGrid = SafeTensorsFile(tensors: [.init(name: "w", array: NDArray(vector: [0.3], dtype: .float8E4M3FN))])
        let msg = IOFixtures.message { _ = try offGrid.encode(name: "q.safetensors") }
        #expect(msg?.contains("q.safetensors: tensor 'w'") == true && msg?.contains("not exactly representable") == true)
    }

    /// A safetensors file with the given header text and data buffer.
    static func file(_ header: String, data: Int = 0, length: UInt64? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLittleEndian(length ?? UInt64(header.utf8.count), width: 8)
        return out + Array(header.utf8) + [UInt8](repeating: 0, count: data)
    }

    @Test("rejects malformed files with a clear message", arguments: [
        ([1, 2, 3], "shorter than the 8-byte header length"),
        (file("{}", length: 4000), "beyond the end of the file"),
        (file("{}", length: 1 << 40), "100 MB"),
        (file("{\"a\":"), "not valid JSON"),
        (file("[1,2]"), "not an object"),
        (file(#"{"0.weight":{"dtype":"F32","shape":[4,8],"data_offsets":[0,96]}}"#, data: 128),
         "tensor '0.weight' data_offsets [0, 96] cover 96 bytes but F32 [4, 8] needs 128 bytes"),
        (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: 12),
         "tensors 'a' [0, 8] and 'b' [4, 12] overlap"),
        (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: 12), "beyond the end of the data buffer"),
        (file(#"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,2]}}"#, data: 2), "unknown or unsupported dtype 'Q7'"),
        (file(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: 8), "shape must be"),
        (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: 8), "data_offsets must be"),
        (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}}"#, data: 8), "data_offsets must be"),
        (file(#"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: 8), "too large"),
        (file(#"{"__metadata__":{"k":1}}"#), "__metadata__ value for 'k'"),
        (file(#"{"a":[1]}"#), "tensor 'a' entry is not an object"),
        (file(#"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, data: 4), "shape must be"),
        (file(#"{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}"#, data: 8), "shape must be"),
        (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}}"#, data: 8), "data_offsets must be"),
        (file(#"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, data: 8), "has no dtype"),
        (file(#"{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#, data: 8), "shape must be"),
    ] as [([UInt8], String)])
    func rejects(_ bytes: [UInt8], _ problem: String) {
        let msg = IOFixtures.message { _ = try SafeTensorsFile.decode(bytes, name: "model.safetensors") }
        #expect(msg?.hasPrefix("model.safetensors: ") == true)
        #expect(msg?.contains(problem) == true, "\(msg ?? "no error") should mention \(problem)")
    }

    @Test func everyTruncationThrows() throws {
        let bytes = try IOFixtures.bytes("library.safetensors")
        for n in 0..<bytes.count {
            #expect(throws: FileFormatError.self) { _ = try SafeTensorsFile.decode(Array(bytes[0..<n])) }
        }
    }

    @Test func duplicateOrReservedNamesAreRejectedOnWrite() {
        let a = NDArray(vector: [1])
        let st = SafeTensorsFile(tensors: [.init(name: "x", array: a), .init(name: "x", array: a)])
        #expect(IOFixtures.message { _ = try st.encode() }?.contains("repeated") == true)
    }
}
