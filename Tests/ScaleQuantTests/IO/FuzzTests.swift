import Foundation
import Testing
@testable import ScaleQuant

/// Random corruptions of real fixtures: every reader must either succeed or throw ``FileFormatError``, never trap.
@Suite("IO: corrupted inputs never crash")
struct IOFuzzTests {
    static func corruptions(of name: String, count: Int, seed: UInt64) -> [[UInt8]] {
        let original = IOFixtures.bytes(name)
        guard !original.isEmpty else { return [] }
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

    @Test func npy() {
        for b in Self.corruptions(of: "i4_2d.npy", count: 400, seed: 1) + Self.corruptions(of: "f2_1d.npy", count: 400, seed: 2) {
            #expect(Self.survives { _ = try NPY.decode(b) })
        }
    }

    @Test func npz() {
        for b in Self.corruptions(of: "pair.npz", count: 400, seed: 3) + Self.corruptions(of: "compressed.npz", count: 600, seed: 4)
            + Self.corruptions(of: "levels.npz", count: 400, seed: 5) {
            #expect(Self.survives { _ = try NPZ.decode(b) })
        }
    }

    @Test func safetensors() {
        for b in Self.corruptions(of: "mixed.safetensors", count: 800, seed: 6) {
            #expect(Self.survives { _ = try SafeTensorsFile.decode(b) })
        }
    }
}
