import Foundation
import Testing
@testable import ScaleQuant

/// Random corruptions of real fixtures: every reader must either succeed or throw ``FileFormatError``, never trap.
@Suite("IO: corrupted inputs never crash")
struct IOFuzzTests {
    /// `count` seeded corruptions of a fixture (which must exist and not be empty: a missing fixture fails the test).
    static func corruptions(of name: String, count: Int, seed: UInt64) throws -> [[UInt8]] {
        let original = try IOFixtures.bytes(name)
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            var b = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<b.count, using: &rng)
                b[i] = Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : b[i] ^ 0x80
            }
            return b
        }
    }

    static func survives(_ body: () throws -> Void) -> Bool {
        do { try body() } catch is FileFormatError { } catch { return false }
        return true
    }

    @Test func npy() throws {
        let inputs = try Self.corruptions(of: "i4_2d.npy", count: 400, seed: 1)
            + Self.corruptions(of: "f2_1d.npy", count: 400, seed: 2)
        for b in inputs { #expect(Self.survives { _ = try NPY.decode(b) }) }
    }

    @Test func npz() throws {
        let inputs = try Self.corruptions(of: "pair.npz", count: 400, seed: 3)
            + Self.corruptions(of: "compressed.npz", count: 600, seed: 4)
            + Self.corruptions(of: "levels.npz", count: 400, seed: 5)
        for b in inputs { #expect(Self.survives { _ = try NPZ.decode(b) }) }
    }

    @Test func safetensors() throws {
        for b in try Self.corruptions(of: "mixed.safetensors", count: 800, seed: 6) {
            #expect(Self.survives { _ = try SafeTensorsFile.decode(b) })
        }
    }
}
