import Testing
@testable import ScaleQuant

/// Grids checked against a brute-force nearest-point oracle built from their full value list: integer grids
/// (ties to the even code k) and a float format without subnormals (ties to the even significand).
@Suite struct BruteForceGridTests {
    /// Non-negative values with their codes, increasing; rounding reference: nearest, ties to even code.
    struct Oracle {
        let values: [Double], codes: [Int]

        func round(_ x: Double) -> Double? {
            let a = x.magnitude
            var r = values.last!
            if a < r, let i = values.lastIndex(where: { $0 <= a }) {
                let (v0, v1) = (values[i], values[i + 1])
                let m = v0 + (v1 - v0) / 2  // exact for the grids below
                if a == m && codes[i] % 2 == codes[i + 1] % 2 { return nil }  // no even neighbour to prefer
                r = a < m ? v0 : a > m ? v1 : (codes[i] % 2 == 0 ? v0 : v1)
            }
            return x < 0 ? -r : r
        }

        /// Values, midpoints, their binary64 neighbours, beyond the maximum, and seeded random points.
        func probes(seed: UInt64) -> [Double] {
            var xs: [Double] = []
            for (a, b) in zip(values, values.dropFirst()) {
                let m = a + (b - a) / 2
                xs += [a, a.nextUp, a.nextDown, m, m.nextUp, m.nextDown]
            }
            let mx = values.last!
            xs += [mx, mx.nextUp, 1.5 * mx, .infinity]
            var rng = SeededGenerator(seed: seed)
            for _ in 0..<5_000 { xs.append(rng.symmetric(1.2 * mx)) }
            return xs + xs.map { -$0 }
        }
    }

    static func check(_ g: any NumberGrid, _ oracle: Oracle, seed: UInt64) -> Int {
        let xs = oracle.probes(seed: seed)
        let buffered = bufferRound(g, xs)
        var bad = 0, checked = 0
        for (x, b) in zip(xs, buffered) {
            guard let want = oracle.round(x) else { continue }
            checked += 1
            if g.round(x) != want || b != want {
                bad += 1
                if bad <= 5 { Issue.record("\(g): round(\(x)) = \(g.round(x)) / \(b), want \(want)") }
            }
        }
        #expect(checked > 10_000)
        return bad
    }

    /// Steps whose multiples are exact in binary64, so the grid values are exactly k·step.
    @Test(arguments: ["int2", "int4", "int8", "int8@0.125", "int4@0.75", "int12@3"])
    func integerGridMatchesBruteForce(name: String) throws {
        let g = try #require(try FormatCatalog.grid(named: name) as? IntegerGrid)
        let values = (0...g.maxCode).map { Double($0) * g.step }
        #expect(Self.check(g, Oracle(values: values, codes: Array(0...g.maxCode)), seed: 42) == 0)
        // nextUp walks exactly the codes −q…q.
        var v = -g.maxFinite, walked = [v]
        while true { v = g.nextUp(v); if !v.isFinite { break }; walked.append(v) }
        #expect(walked == (-g.maxCode...g.maxCode).map { Double($0) * g.step })
        if g.maxCode >= 4 { #expect(g.code(2.5 * g.step) == 2 && g.code(-3.5 * g.step) == -4) }
    }

    /// With an inexact step the grid values are fl(k·step); each is its own rounding, and nextUp finds them all.
    @Test func integerGridWithInexactStepIsConsistent() throws {
        let g = try #require(try FormatCatalog.grid(named: "int8@0.1") as? IntegerGrid)
        let values = (-127...127).map { Double($0) * 0.1 }
        for (k, v) in zip(-127...127, values) {
            #expect(g.round(v) == v && g.code(v) == k, "k = \(k)")
        }
        var v = -g.maxFinite, walked = [v]
        while true { v = g.nextUp(v); if !v.isFinite { break }; walked.append(v) }
        #expect(walked == values)
    }

    @Test func floatFormatWithoutSubnormalsMatchesBruteForce() throws {
        let f = try FloatFormat(exponentBits: 4, mantissaBits: 3, specials: .finiteNaN, subnormals: false)
        var pairs: [(Double, Int)] = []
        for c in f.allCodes()! {
            let v = f.decode(c)
            if v.isFinite && v.sign == .plus && !(v == 0 && c != 0) { pairs.append((v, Int(c))) }
        }
        pairs.sort { $0.0 < $1.0 }
        #expect(pairs.count == 1 + f.positiveValueCount!)
        #expect(pairs[1].0 == f.smallestNormal && f.smallestPositive == f.smallestNormal)
        #expect(Self.check(f, Oracle(values: pairs.map(\.0), codes: pairs.map(\.1)), seed: 43) == 0)
        #expect(f.nextUp(0) == f.smallestNormal && f.nextDown(f.smallestNormal) == 0)
    }
}
