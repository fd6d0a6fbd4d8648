import Foundation
import Testing
@testable import ScaleQuant

@Suite("IO: atomic writes")
struct IOAtomicWriteTests {
    @Test func writingOntoAnInputThrowsAndLeavesItIntact() throws {
        let dir = IOFixtures.temporaryDirectory()
        let input = dir + "/in.npy"
        let original = try IOFixtures.bytes("f4_2d.npy")
        try writeAtomically(original, to: input)
        let array = try NPY.read(input)
        let aliases = [input, dir + "/./in.npy", dir + "/sub/../in.npy", "in.npy"]
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.npy", withDestinationPath: input)
        for alias in aliases.dropLast() + [dir + "/link.npy"] {
            let msg = IOFixtures.message { try NPY.write(array, to: alias, refusingToOverwrite: [input]) }
            #expect(msg?.contains("refusing to overwrite an input") == true, "\(alias)")
        }
        #expect(IOFixtures.message {
            try SafeTensorsFile(tensors: [.init(name: "a", array: array)]).write(to: input, refusingToOverwrite: [input])
        }?.contains("refusing") == true)
        #expect(IOFixtures.message { try NPZ.write([("a", array)], to: input, refusingToOverwrite: [input]) } != nil)
        #expect(FileManager.default.contents(atPath: input).map { [UInt8]($0) } == original)
        // No temporary files are left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty)
    }

    @Test func hardLinkToAnInputIsRefused() throws {
        let dir = IOFixtures.temporaryDirectory()
        try writeAtomically([1, 2, 3], to: dir + "/a")
        try FileManager.default.linkItem(atPath: dir + "/a", toPath: dir + "/b")
        #expect(throws: FileFormatError.refusingToOverwriteInput(file: dir + "/b")) {
            try writeAtomically([9], to: dir + "/b", refusingToOverwrite: [dir + "/a"])
        }
    }

    @Test func replacesAnExistingOutputAndCleansUp() throws {
        let dir = IOFixtures.temporaryDirectory()
        try writeAtomically([1, 2, 3], to: dir + "/out")
        try writeAtomically([4], to: dir + "/out", refusingToOverwrite: [dir + "/other"])
        #expect(FileManager.default.contents(atPath: dir + "/out") == Data([4]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out"])
    }

    @Test func missingDirectoryIsAnError() {
        let msg = IOFixtures.message { try writeAtomically([1], to: "/nonexistent-dir/x.npy") }
        #expect(msg?.hasPrefix("/nonexistent-dir/x.npy: ") == true)
    }
}
