import Foundation
import Testing
@testable import ScaleQuant

@Suite("IO: text vectors")
struct IOVectorTextTests {
    @Test func readsTheFixture() throws {
        let values = try VectorText.read(IOFixtures.path("vector.txt"))
        #expect(values == (try IOFixtures.expected("vector.txt")).values)
    }

    @Test func parsesSeparatorsAndComments() throws {
        #expect(try VectorText.parse("1,2 3\n\t4,\n# only a comment\n5 # six\n") == [1, 2, 3, 4, 5])
        #expect(try VectorText.parse("") == [])
        #expect(try VectorText.parse("inf -inf").allSatisfy(\.isInfinite))
    }

    @Test func rejectsATokenNamingLineAndToken() {
        let msg = IOFixtures.message { _ = try VectorText.parse("1 2\n3 4x 5\n", name: "v.txt") }
        #expect(msg == "v.txt: line 2: '4x' is not a number")
    }

    @Test func loadVectorDispatchesOnExtension() throws {
        #expect(try loadVector(IOFixtures.path("f8_1d.npy")).count == 10)
        #expect(try loadVector(IOFixtures.path("scalar.npy")) == [2.5])
        #expect(try loadVector(IOFixtures.path("vector.txt")).count == 5)
        let matrix = try IOFixtures.path("f8_2d.npy")
        let msg = IOFixtures.message { _ = try loadVector(matrix) }
        #expect(msg?.contains("expected a vector") == true, "\(msg ?? "no error")")
        let dir = IOFixtures.temporaryDirectory()
        try VectorText.write([0.1, -3], to: dir + "/v.csv")
        #expect(try loadVector(dir + "/v.csv") == [0.1, -3])
    }
}
