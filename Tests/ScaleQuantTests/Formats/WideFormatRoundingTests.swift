import Testing
@testable import ScaleQuant

/// binary16 and bfloat16 exhaustively over every positive midpoint, and binary16 / binary32 against the
/// hardware conversions `Float16(_:)` and `Float(_:)` (correctly rounded, ties to even, but overflowing to inf).
@Suite struct WideFormatRoundingTests {
    /// Checks every midpoint of consecutive positive finite values given as increasing bit patterns
    /// `0…lastCode`: the midpoint goes to the even pattern, its binary64 neighbours to the nearer value.
    /// Returns the probes and their expected results for further comparisons.
    static func midpointProbes(lastCode: Int, value: (Int) -> Double) -> (xs: [Double], want: [Double]) {
        var xs: [Double] = [], want: [Double] = []
        xs.reserveCapacity(3 * lastCode); want.reserveCapacity(3 * lastCode)
        var a = value(0)
        for i in 0..<lastCode {
            let b = value(i + 1)
            let m = a + (b - a) / 2
            xs += [m, m.nextDown, m.nextUp]
            want += [i % 2 == 0 ? a : b, a, b]
            a = b
        }
        return (xs, want)
    }

    static func checkAll(_ f: FloatFormat, _ xs: [Double], _ want: [Double]) -> Int {
        let buffered = bufferRound(f, xs)
        var bad = 0
        for i in xs.indices where f.round(xs[i]) != want[i] || buffered[i] != want[i] || f.round(-xs[i]) != -want[i] {
            bad += 1
            if bad <= 5 { Issue.record("\(f.name): x = \(xs[i]): round \(f.round(xs[i])), buffer \(buffered[i]), want \(want[i])") }
        }
        return bad
    }

    @Test func float16IsAvailable() {
        #expect(MemoryLayout<Float16>.size == 2)
        #expect(Float16.greatestFiniteMagnitude == 65504)
        #expect(Double(Float16(1.0 + 0x1p-11)) == 1.0)  // a tie, to even
        #expect(Double(Float16(1.0 + 3 * 0x1p-11)) == 1.0 + 0x1p-9)
    }

    @Test func binary16EveryMidpoint() {
        let f = preset("binary16")
        // 0x7BFF is 65504, the largest finite binary16.
        let (xs, want) = Self.midpointProbes(lastCode: 0x7BFF) { Double(Float16(bitPattern: UInt16($0))) }
        #expect(xs.count == 3 * 0x7BFF)
        #expect(Self.checkAll(f, xs, want) == 0)
        // The hardware conversion agrees on all of them (none overflows: the largest probe is below 65520).
        var bad = 0
        for (x, w) in zip(xs, want) where Double(Float16(x)) != w { bad += 1 }
        #expect(bad == 0)
    }

    @Test func bfloat16EveryMidpoint() {
        let f = preset("bfloat16")
        // bfloat16 is the top half of binary32; 0x7F7F is its largest finite value.
        let (xs, want) = Self.midpointProbes(lastCode: 0x7F7F) { Double(Float(bitPattern: UInt32($0) << 16)) }
        #expect(xs.count == 3 * 0x7F7F)
        #expect(Self.checkAll(f, xs, want) == 0)
        #expect(f.maxFinite == Double(Float(bitPattern: 0x7F7F_0000)))
    }

    @Test func binary16AgreesWithFloat16OnRandomDoubles() {
        let f = preset("binary16")
        var rng = SeededGenerator(seed: 16)
        var xs: [Double] = []
        for i in 0..<60_000 {
            // Varied magnitudes from below the least subnormal (2^-24) to the top binade, and uniform ones.
            xs.append(i % 3 == 0 ? rng.symmetric(65519) : rng.logUniform(-28, 16))
        }
        let buffered = bufferRound(f, xs)
        var bad = 0, checked = 0
        for (x, b) in zip(xs, buffered) {
            let h = Float16(x)
            guard h.isFinite else { continue }  // Float16 overflows to inf where we saturate (tested below)
            checked += 1
            if f.round(x) != Double(h) || b != Double(h) {
                bad += 1
                if bad <= 5 { Issue.record("binary16: x = \(x): \(f.round(x)) / \(b) vs Float16 \(h)") }
            }
        }
        #expect(bad == 0)
        #expect(checked > 55_000)
    }

    @Test func binary16SaturatesWhereFloat16Overflows() {
        let f = preset("binary16")
        let xs = [65519.99, 65520, 65535, 65536, 70000, 1e10, .greatestFiniteMagnitude, .infinity]
        let buffered = bufferRound(f, xs + xs.map { -$0 })
        for (i, x) in xs.enumerated() {
            #expect(f.round(x) == 65504 && f.round(-x) == -65504, "round(±\(x))")
            #expect(buffered[i] == 65504 && buffered[i + xs.count] == -65504, "buffer round(±\(x))")
        }
        #expect(Float16(65520.0).isInfinite)  // the IEEE cast does overflow there
        #expect(Double(Float16(65519.99)) == 65504)
    }

    @Test func binary32AgreesWithFloatOnRandomDoubles() {
        let f = preset("binary32")
        #expect(f.maxFinite == Double(Float.greatestFiniteMagnitude))
        #expect(f.smallestPositive == Double(Float.leastNonzeroMagnitude))
        var rng = SeededGenerator(seed: 32)
        var xs: [Double] = []
        for _ in 0..<100_000 { xs.append(rng.logUniform(-155, 129)) }  // Float subnormals start at 2^-126
        // Binary32 midpoints (exact ties) and their neighbours, normal and subnormal.
        for i in 0..<20_000 {
            let bits = UInt32(truncatingIfNeeded: rng.next()) & (i % 4 == 0 ? 0x007F_FFFF : 0x7F7F_FFFF)
            let a = Double(Float(bitPattern: bits)), b = Double(Float(bitPattern: bits).nextUp)
            let m = a + (b - a) / 2
            xs += [m, m.nextUp, m.nextDown]
        }
        xs += xs.map { -$0 }
        let buffered = bufferRound(f, xs)
        var bad = 0, overflowed = 0, subnormal = 0
        for (x, b) in zip(xs, buffered) {
            let g = Float(x)
            let want = g.isInfinite ? (x > 0 ? f.maxFinite : -f.maxFinite) : Double(g)
            if g.isInfinite { overflowed += 1 }
            if g.isSubnormal { subnormal += 1 }
            if f.round(x) != want || b != want {
                bad += 1
                if bad <= 5 { Issue.record("binary32: x = \(x): \(f.round(x)) / \(b) vs Float \(g)") }
            }
        }
        #expect(bad == 0)
        #expect(overflowed > 100 && subnormal > 5_000)
    }
}
