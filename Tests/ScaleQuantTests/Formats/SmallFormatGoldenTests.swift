import Foundation
import Testing
@testable import ScaleQuant

/// Golden tests of the ≤ 8-bit presets against ml_dtypes' code tables (Fixtures/formats, see
/// scripts/make_format_fixtures.py). Rounding is checked against the table-built reference, never against
/// ml_dtypes' own binary64 casts, which round twice.
@Suite struct SmallFormatGoldenTests {
    static let names = FormatTable.presetNames

    /// Every table in Fixtures/formats is one of the tested presets, and every tested preset has its table.
    @Test func everyFixtureTableIsTested() throws {
        #expect(try TestFixtures.names(in: "formats", suffix: ".txt") == Self.names.map { "\($0).txt" }.sorted())
    }

    @Test(arguments: names) func tableMatchesFormatDescription(name: String) throws {
        let t = try FormatTable.load(name), f = preset(name)
        #expect(f.totalBits == t.bits)
        #expect(f.maxFinite == t.maxFinite)
        #expect(f.smallestPositive == t.nonNegative[1].value)
        #expect(f.positiveValueCount == t.nonNegative.count - 1)
        #expect(f.nonNegativeValues() == t.nonNegative.map(\.value))
    }

    @Test(arguments: names) func everyCodeDecodesToTheReference(name: String) throws {
        let t = try FormatTable.load(name), f = preset(name)
        for (code, ref) in t.values.enumerated() {
            let v = f.decode(UInt64(code))
            // Bit-for-bit, so the sign of zero is checked too; NaN only as NaN.
            #expect(ref.isNaN ? v.isNaN : v.bitPattern == ref.bitPattern, "\(name) code \(code): \(v) vs \(ref)")
        }
        if f.specials == .unsignedZeroNaN {
            #expect(f.decode(1 << UInt64(t.bits - 1)).isNaN, "FNUZ: the −0 code is NaN")
        }
    }

    @Test(arguments: names) func encodeInvertsDecode(name: String) throws {
        let t = try FormatTable.load(name), f = preset(name)
        var checked = 0
        for (code, v) in t.values.enumerated() where !v.isNaN {
            let e = try f.encode(v)
            #expect(e.code == UInt64(code), "\(name): encode(\(v)) = \(e.code), expected \(code)")
            #expect(!e.overflowed)
            checked += 1
        }
        #expect(checked == t.values.filter { !$0.isNaN }.count && checked >= 16)
        if f.specials == .none {
            #expect(throws: FormatError.self) { try f.encode(.nan) }
        } else {
            #expect(f.decode(try f.encode(.nan).code).isNaN)
        }
    }

    /// ml_dtypes' casts of binary32-exact inputs are single-rounded, so `encode` (with the format's overflow
    /// rule: inf for E5M2, NaN for FN/FNUZ, saturation for the MX formats) must reproduce them.
    @Test(arguments: names) func encodeAgreesWithMLDtypesOnBinary32ExactInputs(name: String) throws {
        let t = try FormatTable.load(name), f = preset(name)
        #expect(t.casts.count > 100)
        for (x, code) in t.casts {
            let e = try f.encode(x)
            let got = f.decode(e.code), want = t.values[Int(code)]
            #expect(want.isNaN ? got.isNaN : got.bitPattern == want.bitPattern,
                    "\(name): encode(\(x)) → \(got), ml_dtypes → \(want)")
            if f.specials != .none { #expect(e.overflowed == !want.isFinite, "\(name): overflow flag at \(x)") }
            if want.isFinite { #expect(want == t.referenceRound(x), "\(name): reference disagrees with ml_dtypes at \(x)") }
        }
    }

    /// Every value, every midpoint between consecutive values, and their binary64 neighbours.
    static func probes(_ t: FormatTable) -> [Double] {
        let pos = t.nonNegative.map(\.value)
        var xs: [Double] = []
        for v in pos { xs += [v, v.nextUp, v.nextDown] }
        for (a, b) in zip(pos, pos.dropFirst()) {
            let m = a + (b - a) / 2
            xs += [m, m.nextUp, m.nextDown]
        }
        let mx = pos.last!, ulpTop = mx - pos[pos.count - 2]
        xs += [mx + ulpTop / 2, mx + ulpTop, 2 * mx, 1e300, .greatestFiniteMagnitude, .infinity]
        return xs + xs.map { -$0 }
    }

    @Test(arguments: names) func roundingMatchesReferenceAtMidpointsValuesAndBeyondMax(name: String) throws {
        let t = try FormatTable.load(name), f = preset(name)
        let xs = Self.probes(t)
        #expect(xs.count > 6 * (t.nonNegative.count - 1))
        let buffered = bufferRound(f, xs)
        for (x, b) in zip(xs, buffered) {
            let ref = t.referenceRound(x)
            #expect(f.round(x) == ref, "\(name): round(\(x)) = \(f.round(x)), reference \(ref)")
            #expect(b == ref, "\(name): buffer round(\(x)) = \(b), reference \(ref)")
        }
        #expect(f.round(.infinity) == t.maxFinite && f.round(-.infinity) == -t.maxFinite)
        #expect(f.round(.nan).isNaN && bufferRound(f, [.nan])[0].isNaN)
    }

    /// The rounding boundaries the rank-one sweep walks are exactly the table's midpoints.
    @Test(arguments: names) func boundariesAreTheTableMidpoints(name: String) throws {
        let t = try FormatTable.load(name), f = preset(name)
        let pos = t.nonNegative.map(\.value)
        let mids = zip(pos, pos.dropFirst()).map { $0 + ($1 - $0) / 2 }
        #expect(f.boundaries(from: 0, below: .infinity) == mids)
        let (lo, hi) = (mids[3], mids[mids.count - 3])
        #expect(f.boundaries(from: lo, below: hi) == mids.filter { $0 >= lo && $0 < hi })
        #expect(f.boundaries(from: lo.nextUp, below: hi.nextUp) == mids.filter { $0 > lo && $0 <= hi })
    }

    @Test(arguments: names) func roundingMatchesReferenceOnRandomInputs(name: String) throws {
        let t = try FormatTable.load(name), f = preset(name)
        var rng = SeededGenerator(seed: 0xF0_2026 &+ UInt64(t.values.count))
        let lowExp = Int(f.smallestPositive.exponent) - 2, highExp = Int(t.maxFinite.exponent) + 2
        var xs: [Double] = []
        for i in 0..<16_000 {
            xs.append(i % 2 == 0 ? rng.symmetric(1.1 * t.maxFinite) : rng.logUniform(lowExp, highExp))
        }
        let buffered = bufferRound(f, xs)
        var mismatches = 0
        for (x, b) in zip(xs, buffered) {
            let ref = t.referenceRound(x)
            if f.round(x) != ref || b != ref {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(name): x = \(x): round \(f.round(x)), buffer \(b), ref \(ref)") }
            }
        }
        #expect(mismatches == 0)
        #expect(xs.filter { $0.magnitude < t.maxFinite }.count >= 10_000)
    }
}
