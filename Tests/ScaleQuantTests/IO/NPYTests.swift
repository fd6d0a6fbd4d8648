import Foundation
import Testing
@testable import ScaleQuant

@Suite("IO: NPY")
struct IONPYTests {
    static let fixtureNames = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1"].flatMap { ["\($0)_1d.npy", "\($0)_2d.npy"] }
        + ["scalar.npy", "f4_3d.npy", "b1_1d.npy"]

    @Test("reads every NumPy fixture exactly", arguments: fixtureNames)
    func readsFixture(_ name: String) throws {
        let array = try NPY.read(IOFixtures.path(name))
        let expected = try IOFixtures.expected(name)
        #expect(array.dtype.rawValue == expected.dtype)
        #expect(array.shape == expected.shape)
        #expect(IOFixtures.identical(array.values, expected.values))
    }

    @Test("re-encoding gives NumPy's bytes", arguments: fixtureNames)
    func byteIdenticalRoundTrip(_ name: String) throws {
        let bytes = try IOFixtures.bytes(name)
        let array = try NPY.decode(bytes, name: name)
        #expect(try NPY.encode(array) == bytes)
    }

    @Test func writeThenReadBack() throws {
        let dir = IOFixtures.temporaryDirectory()
        let a = try NDArray(shape: [2, 2], values: [1, -2, 0.5, 4], dtype: .float32)
        try NPY.write(a, to: dir + "/a.npy")
        #expect(try NPY.read(dir + "/a.npy") == a)
    }

    @Test func versionTwoHeaderIsRead() throws {
        var bytes = NPY.magic + [2, 0]
        let header = "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }\n"
        bytes.appendLittleEndian(UInt32(header.utf8.count), width: 4)
        bytes += Array(header.utf8) + [5, 0, 0xFF, 0xFF]
        let a = try NPY.decode(bytes)
        #expect(a.values == [5, -1] && a.dtype == .int16)
    }

    @Test func unrepresentableValueIsRejectedOnWrite() {
        let a = NDArray(vector: [0.1], dtype: .float16)
        let msg = IOFixtures.message { _ = try NPY.encode(a, name: "x.npy") }
        #expect(msg?.contains("not exactly representable") == true)
    }

    static func npy(header: String, data: [UInt8] = []) -> [UInt8] {
        var bytes = NPY.magic + [1, 0]
        bytes.appendLittleEndian(UInt16(header.utf8.count), width: 2)
        return bytes + Array(header.utf8) + data
    }

    @Test("rejects malformed files with a clear message", arguments: [
        ([0x93, 0x4E, 0x55], "truncated"),
        (Array("PK\u{3}\u{4}NUMPYxxxxxxxxxx".utf8), "bad magic"),
        (NPY.magic + [1, 0, 0xFF, 0x00] + Array("{'descr'".utf8), "beyond the end of the file"),
        (NPY.magic + [1, 0, 0x05], "truncated"),
        (NPY.magic + [9, 0, 0, 0], "version 9.0"),
        (npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", data: [0, 0, 0, 0]),
         "fortran_order: True"),
        (npy(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", data: [0, 0, 0, 0]),
         "big-endian"),
        (npy(header: "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n"), "'<c8'"),
        (npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", data: [0, 0, 0, 0]),
         "needs 12 bytes"),
        (npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, }\n"), "cannot parse the header"),
        (npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)\n"), "cannot parse the header"),
        (npy(header: "{'descr': '<f4', 'shape': (3,)}\n"), "no 'fortran_order'"),
        (npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n"), "non-negative"),
        (npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n"),
         "overflow"),
        (npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }\n"),
         "too large"),
        (npy(header: "[1, 2]\n"), "not a Python dict"),
        (npy(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n"), "structured"),
    ] as [([UInt8], String)])
    func rejects(_ bytes: [UInt8], _ problem: String) {
        let msg = IOFixtures.message { _ = try NPY.decode(bytes, name: "bad.npy") }
        #expect(msg?.hasPrefix("bad.npy: ") == true)
        #expect(msg?.contains(problem) == true, "\(msg ?? "no error") should mention \(problem)")
    }

    @Test func everyTruncationOfAFixtureThrows() throws {
        let bytes = try IOFixtures.bytes("f8_2d.npy")
        for n in 0..<bytes.count {
            #expect(throws: FileFormatError.self) { _ = try NPY.decode(Array(bytes[0..<n])) }
        }
    }

    @Test func missingFileNamesThePath() {
        let msg = IOFixtures.message { _ = try NPY.read("/nonexistent/dir/x.npy") }
        #expect(msg == "/nonexistent/dir/x.npy: no such file")
    }
}
