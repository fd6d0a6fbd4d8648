import Foundation
import Testing
@testable import ScaleQuant

@Suite("IO: NPZ and ZIP")
struct IONPZTests {
    @Test("reads numpy.savez and numpy.savez_compressed archives", arguments: [
        ("pair.npz", ["weights", "bias"]), ("compressed.npz", ["ramp", "bias"]), ("levels.npz", ["stored", "best"]),
    ])
    func readsFixture(_ file: String, _ names: [String]) throws {
        let arrays = try NPZ.read(IOFixtures.path(file))
        #expect(arrays.map(\.name) == names)
        for (name, array) in arrays {
            let e = try IOFixtures.expected("\(file)/\(name)")
            #expect(array.dtype.rawValue == e.dtype && array.shape == e.shape)
            #expect(IOFixtures.identical(array.values, e.values))
        }
        #expect(try NPZ.readDictionary(IOFixtures.path(file)).count == names.count)
    }

    @Test func roundTripKeepsOrderAndValues() throws {
        let arrays = try NPZ.read(IOFixtures.path("compressed.npz"))
        let dir = IOFixtures.temporaryDirectory()
        try NPZ.write(arrays, to: dir + "/out.npz", refusingToOverwrite: [IOFixtures.path("compressed.npz")])
        let back = try NPZ.read(dir + "/out.npz")
        #expect(back.map(\.name) == arrays.map(\.name))
        #expect(back.map(\.array) == arrays.map(\.array))
        // Members are the same .npy bytes NumPy writes.
        let members = try ZipArchive.read(try IOFixtures.bytes("pair.npz"), file: "pair.npz")
        let pair = try NPZ.read(IOFixtures.path("pair.npz"))
        #expect(try members.map(\.data) == pair.map { try NPY.encode($0.array) })
    }

    @Test func dictionaryWriteSortsByName() throws {
        let dir = IOFixtures.temporaryDirectory()
        try NPZ.write(["b": NDArray(vector: [1]), "a": NDArray(vector: [2])], to: dir + "/d.npz")
        #expect(try NPZ.read(dir + "/d.npz").map(\.name) == ["a", "b"])
    }

    @Test func zipWriterOutputIsReadBack() throws {
        let members = [ZipArchive.Member(name: "x.bin", data: Array(0..<200)), .init(name: "é.txt", data: [])]
        #expect(try ZipArchive.read(ZipArchive.write(members, file: "z"), file: "z") == members)
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func badCRCIsDetected() throws {
        var bytes = try IOFixtures.bytes("pair.npz")
        let members = try ZipArchive.read(bytes, file: "pair.npz")
        // Flip one data byte of the last value of the first member (inside the stored .npy payload).
        let firstDataEnd = bytes.count - members[1].data.count - 200
        let index = try #require((0..<firstDataEnd).last { bytes[$0] != 0 && $0 > 200 })
        bytes[index] ^= 0x01
        let msg = IOFixtures.message { _ = try NPZ.decode(bytes, name: "pair.npz") }
        #expect(msg?.contains("CRC-32 mismatch") == true, "\(msg ?? "no error")")
    }

    @Test func corruptDeflateDataIsReportedNotCrashed() throws {
        var bytes = try IOFixtures.bytes("compressed.npz")
        try #require(bytes.count >= 120, "compressed.npz is too short for this test")
        for i in 60..<120 { bytes[i] ^= 0x5A }
        let msg = IOFixtures.message { _ = try NPZ.decode(bytes, name: "c.npz") }
        #expect(msg?.hasPrefix("c.npz: ") == true)
    }

    @Test func everyTruncationThrows() throws {
        for file in ["pair.npz", "compressed.npz"] {
            let bytes = try IOFixtures.bytes(file)
            for n in 0..<bytes.count {
                #expect(throws: FileFormatError.self) { _ = try NPZ.decode(Array(bytes[0..<n])) }
            }
        }
    }

    @Test func truncatedArchiveSaysTruncated() throws {
        let bytes = try IOFixtures.bytes("pair.npz")
        let msg = IOFixtures.message { _ = try NPZ.decode(Array(bytes[0..<(bytes.count / 2)]), name: "t.npz") }
        #expect(msg?.contains("truncated ZIP archive") == true, "\(msg ?? "no error")")
    }

    @Test func notAZipFileIsRejected() throws {
        let npy = try IOFixtures.bytes("f4_1d.npy")
        let msg = IOFixtures.message { _ = try NPZ.decode(npy, name: "x.npz") }
        #expect(msg?.contains("not a ZIP archive") == true)
    }

    @Test func zip64EndRecordIsRejectedClearly() throws {
        var bytes = try ZipArchive.write([.init(name: "a", data: [1])], file: "z")
        // Mark the central directory offset as ZIP64-escaped.
        for k in 0..<4 { bytes[bytes.count - 6 + k] = 0xFF }
        #expect(IOFixtures.message { _ = try ZipArchive.read(bytes, file: "z.zip") }?.contains("ZIP64") == true)
    }

    @Test func unsupportedMethodIsNamed() throws {
        var bytes = try ZipArchive.write([.init(name: "a.npy", data: [1])], file: "z")
        let cd = bytes.count - 22 - 46 - 5
        bytes[cd + 10] = 12  // bzip2
        let msg = IOFixtures.message { _ = try NPZ.decode(bytes, name: "z.npz") }
        #expect(msg?.contains("compression method 12") == true, "\(msg ?? "no error")")
    }
}
