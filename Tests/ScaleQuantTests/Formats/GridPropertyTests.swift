import Testing
@testable import ScaleQuant

/// Algebraic properties of rounding that every grid must satisfy (docs/Theory.md §1): monotone, idempotent, odd,
/// onto grid values, saturating; F_p scale invariance; the `regularRange` claim; nextUp/nextDown coherence.
@Suite struct GridPropertyTests {
    static let gridNames: [String] = FormatCatalog.presets.map(\.name)
        + [2, 3, 4, 8, 11, 24].map { "p=\($0)" } + ["int4", "int8", "int8@0.1"]

    static func grid(_ name: String) throws -> any NumberGrid { try FormatCatalog.grid(named: name) }

    /// Seeded samples spread over the grid's range: uniform, log-uniform magnitudes, and near-ties.
    static func samples(_ g: any NumberGrid, count: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        var xs: [Double] = [0, -0.0]
        let bounded = g.maxFinite.isFinite
        let span = bounded ? Swift.min(1.25 * g.maxFinite, .greatestFiniteMagnitude) : 0x1p100
        let lo = g.smallestPositive > 0 ? Int(g.smallestPositive.exponent) - 3 : -200
        let hi = bounded ? Swift.min(Int(g.maxFinite.exponent) + 3, 1024) : 200
        while xs.count < count {
            switch xs.count % 3 {
            case 0: xs.append(rng.symmetric(span))
            case 1: xs.append(rng.logUniform(lo, hi))
            default:  // the midpoint between a value and its successor, or a binary64 neighbour of it
                let v = g.round(rng.logUniform(lo, hi)), w = v < 0 ? g.nextDown(v) : g.nextUp(v)
                guard w.isFinite else { continue }
                let m = v + (w - v) / 2
                xs.append([m, m.nextUp, m.nextDown][Int(rng.next() % 3)])
            }
        }
        return xs
    }

    @Test(arguments: gridNames) func monotoneIdempotentOddAndOntoGridValues(name: String) throws {
        let g = try Self.grid(name)
        let xs = Self.samples(g, count: 6_000, seed: 7).sorted()
        var prev = -Double.infinity, bad = 0
        for x in xs {
            let q = g.round(x)
            var ok = q >= prev                                     // monotone
            ok = ok && g.round(q) == q                             // idempotent
            ok = ok && g.round(-x) == -q                           // odd
            ok = ok && g.nextUp(g.nextDown(q)) == q && g.nextDown(g.nextUp(q)) == q  // q is a grid value
            ok = ok && q.magnitude <= g.maxFinite
            if !ok {
                bad += 1
                if bad <= 5 { Issue.record("\(name): x = \(x), q = \(q), previous \(prev)") }
            }
            prev = q
        }
        #expect(bad == 0)
        #expect(bufferRound(g, xs) == xs.map { g.round($0) }, "\(name): buffer loop differs from round(_:)")
    }

    @Test(arguments: gridNames) func roundsToANeighbourAndNeighboursAreCoherent(name: String) throws {
        let g = try Self.grid(name)
        var bad = 0
        for x in Self.samples(g, count: 4_000, seed: 11) where x.magnitude < g.maxFinite {
            let up = g.nextUp(x), down = g.nextDown(x), q = g.round(x)
            var ok = down < x && x < up
            ok = ok && g.round(up) == up && g.round(down) == down
            ok = ok && g.nextDown(up) <= x && g.nextUp(down) >= x   // nothing of the grid strictly between
            ok = ok && (q == up || q == down || q == x)
            ok = ok && (q == x) == (g.nextUp(down) == x)
            if !ok {
                bad += 1
                if bad <= 5 { Issue.record("\(name): x = \(x): down \(down), up \(up), q \(q)") }
            }
        }
        #expect(bad == 0)
    }

    @Test(arguments: gridNames) func saturatesAtMax(name: String) throws {
        let g = try Self.grid(name)
        let m = g.maxFinite
        #expect(g.round(.infinity) == m && g.round(-.infinity) == -m)
        guard m.isFinite else { return }
        #expect(g.nextUp(m) == .infinity && g.nextDown(-m) == -.infinity)
        let beyond = [m, m.nextUp, m + (m - g.nextDown(m)) / 2, 2 * m, .greatestFiniteMagnitude].filter(\.isFinite)
        for x in beyond {
            #expect(g.round(x) == m && g.round(-x) == -m, "\(name): round(±\(x))")
        }
        #expect(bufferRound(g, beyond + beyond.map { -$0 }) == beyond.map { _ in m } + beyond.map { _ in -m })
    }

    @Test(arguments: [2, 3, 4, 8, 11, 24]) func idealizedGridCommutesWithPowersOfTwo(p: Int) throws {
        let f = try FloatFormat.idealized(precision: p)
        var rng = SeededGenerator(seed: UInt64(100 + p))
        var bad = 0
        for _ in 0..<20_000 {
            let x = rng.logUniform(-300, 300), k = Int(rng.next() % 81) - 40
            let s = Double(sign: .plus, exponent: k, significand: 1)
            if f.round(s * x) != s * f.round(x) { bad += 1 }
            // The relative error bound u = 2^-p of F_p.
            if (f.round(x) - x).magnitude > f.unitRoundoff * x.magnitude { bad += 1 }
        }
        #expect(bad == 0)
        #expect(f.round(1 + 0x1p-60) == 1 && f.round(1.5 * Double(sign: .plus, exponent: -p + 1, significand: 1) + 1) == 1
            + Double(sign: .plus, exponent: -p + 2, significand: 1))  // 1 + 1.5 ulp → 1 + 2 ulp (ties to even)
    }

    /// F_p as far as binary64 reaches: below 2^-1022 binary64's spacing limits it, and it ends at the largest
    /// Double with p significant bits.
    @Test(arguments: [2, 11, 24, 53]) func idealizedGridAtTheLimitsOfBinary64(p: Int) throws {
        let f = try FloatFormat.idealized(precision: p)
        let top = Double(sign: .plus, exponent: 1023, significand: 2 - 2 * f.unitRoundoff)
        #expect(f.nextDown(.infinity) == top && f.nextUp(-.infinity) == -top && f.nextUp(top) == .infinity)
        #expect(f.nextUp(0) == .leastNonzeroMagnitude && f.nextDown(0) == -.leastNonzeroMagnitude)
        var rng = SeededGenerator(seed: UInt64(p))
        var xs: [Double] = [.leastNonzeroMagnitude, 2 * .leastNonzeroMagnitude, .leastNormalMagnitude, top]
        for _ in 0..<2_000 { xs += [rng.logUniform(-1074, -1000), rng.logUniform(1000, 1024)] }
        var bad = 0
        for x in xs {
            let up = f.nextUp(x), down = f.nextDown(x)
            let ok = down < x && x < up && f.round(down) == down && (up.isInfinite || f.round(up) == up)
                && f.nextUp(down) >= x && (up.isInfinite || f.nextDown(up) <= x)
            if !ok { bad += 1; if bad <= 5 { Issue.record("p = \(p): x = \(x): down \(down), up \(up)") } }
        }
        #expect(bad == 0)
    }

    @Test(arguments: FormatCatalog.presets.map(\.name)) func regularRangeCommutesWithDoubling(name: String) throws {
        let f = preset(name)
        let (lower, upper) = try #require(f.regularRange)
        var rng = SeededGenerator(seed: 5)
        let lo = Int(lower.exponent), hi = Swift.min(Int((upper / 2).exponent), 1022) + 1
        var bad = 0, trials = 0
        while trials < 5_000 {
            var z = rng.logUniform(lo, hi, signed: false)
            if trials % 5 == 0 { z = f.round(z) + (f.nextUp(f.round(z)) - f.round(z)) / 2 }  // a midpoint
            guard z >= lower, 2 * z < upper else { continue }
            trials += 1
            if f.round(2 * z) != 2 * f.round(z) { bad += 1 }
        }
        #expect(bad == 0)
        // Just past `upper` the claim fails (saturation), so the bound is not loose. (binary64: upper = inf.)
        guard upper.isFinite else { return }
        let z = upper / 2
        #expect(f.round(2 * z) != 2 * f.round(z) || f.round(2 * z.nextUp) != 2 * f.round(z.nextUp))
    }

    @Test(arguments: gridNames) func positiveValueCountMatchesEnumeration(name: String) throws {
        let g = try Self.grid(name)
        if let f = g as? FloatFormat, f.isIdealized {
            #expect(g.positiveValueCount == nil)
            return
        }
        let count = try #require(g.positiveValueCount)
        if let f = g as? FloatFormat, let codes = f.allCodes() {
            // Independent of nextUp: count the distinct positive finite values the codes decode to.
            let values = Set(codes.map { f.decode($0) }.filter { $0.isFinite && $0 > 0 })
            #expect(values.count == count, "\(name): decode gives \(values.count), claimed \(count)")
        }
        if count <= 1 << 17 {
            let walked = try #require(g.nonNegativeValues())
            #expect(walked.count == count + 1 && walked.last == g.maxFinite)
        }
        if let f = g as? FloatFormat, f.allCodes() == nil, count > 1 << 17 {
            // Too many to enumerate (tf32, binary32, binary64): in these IEEE formats the positive finite values are
            // exactly the codes 1 … code(max finite).
            #expect(f.specials == .ieee, "\(name): no independent count check for specials \(f.specials)")
            #expect(try f.encode(f.maxFinite).code == UInt64(count), "\(name): claimed \(count)")
        }
    }
}
