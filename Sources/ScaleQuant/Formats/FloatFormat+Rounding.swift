extension FloatFormat: NumberGrid {
    /// The format's name.
    public var description: String { name }

    /// Smallest positive value: the least subnormal, 2^emin without subnormals, 0 for F_p.
    public var smallestPositive: Double {
        guard let r = exponentRange else { return 0 }
        return hasSubnormals ? Double(sign: .plus, exponent: r.lowerBound - mantissaBits, significand: 1)
            : smallestNormal
    }

    /// `[2^emin, maxFinite + ulp(maxFinite)/2)` for bounded formats: there rounding is F_p rounding.
    public var regularRange: (lower: Double, upper: Double)? {
        guard let r = exponentRange else { return (0, .infinity) }
        let ulpTop = Double(sign: .plus, exponent: r.upperBound - mantissaBits, significand: 1)
        return (smallestNormal, maxFinite + ulpTop / 2)
    }

    /// Number of positive finite values (`nil` for F_p, or if it does not fit an `Int`).
    public var positiveValueCount: Int? {
        guard let r = exponentRange else { return nil }
        let perBinade = 1 << mantissaBits
        let ulpTop = Double(sign: .plus, exponent: r.upperBound - mantissaBits, significand: 1)
        let topBinadeCount = Int(maxFinite / ulpTop) - perBinade + 1
        let (full, o1) = (r.upperBound - r.lowerBound).multipliedReportingOverflow(by: perBinade)
        guard !o1 else { return nil }
        let sub = hasSubnormals ? perBinade - 1 : 0
        let (total, o2) = full.addingReportingOverflow(topBinadeCount + sub)
        return o2 ? nil : total
    }

    /// The spacing of grid values at magnitude `a` (a ≥ 0): 2^(max(e, emin) − p + 1).
    @inlinable
    func ulp(at a: Double) -> Double {
        var e = a == 0 ? Int.min / 2 : Int(a.exponent)
        if let r = exponentRange { e = Swift.max(e, r.lowerBound) }
        if e == Int.min / 2 { return 0 }
        return Double(sign: .plus, exponent: e - mantissaBits, significand: 1)
    }

    /// Rounds a non-negative finite `a` to p bits with the format's lower exponent bound but no upper bound
    /// (ties to even). Shared by saturating rounding and by encoding, which needs to see overflow.
    @usableFromInline
    func roundMagnitudeUnbounded(_ a: Double) -> Double {
        if a == 0 { return 0 }
        var e = Int(a.exponent)
        if let r = exponentRange, e < r.lowerBound {
            if !hasSubnormals {
                let m = smallestNormal
                return a > m / 2 ? m : 0
            }
            e = r.lowerBound
        }
        let shift = mantissaBits - e
        let scaled = Double(sign: .plus, exponent: shift, significand: a)
        let r = scaled.rounded(.toNearestOrEven)
        return Double(sign: .plus, exponent: -shift, significand: r)
    }

    /// Nearest value of the format, ties to even, saturating at ±``maxFinite`` (±inf saturates too).
    @inlinable
    public func round(_ x: Double) -> Double {
        if x.isNaN { return x }
        let a = x.magnitude
        if a >= maxFinite { return x < 0 ? -maxFinite : maxFinite }
        let q = roundMagnitudeUnbounded(a)
        return x < 0 ? -q : q
    }

    /// The smallest format value strictly above `x`.
    public func nextUp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x >= maxFinite { return .infinity }
        if x < -maxFinite { return -maxFinite }
        if x < 0 { return -nextDownMagnitude(-x) }
        if x >= smallestNormal && x >= Double.leastNormalMagnitude {
            // Normal range: truncate to p bits in the binary64 pattern and add one unit in the last place.
            let shift = UInt64(53 - precision)
            return Double(bitPattern: ((x.bitPattern >> shift) &+ 1) << shift)
        }
        if exponentRange != nil && !hasSubnormals && x < smallestNormal { return smallestNormal }
        // F_p below 2^-1022 (and at 0, where its values accumulate): binary64's own spacing is the limit.
        let s = Swift.max(ulp(at: x), .leastNonzeroMagnitude)
        let k = (x / s).rounded(.down)
        return (k + 1) * s
    }

    /// The largest format value strictly below `x`.
    public func nextDown(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > maxFinite { return maxFinite }
        if x <= -maxFinite { return -.infinity }
        if x <= 0 { return -nextUp(-x) }
        return nextDownMagnitude(x)
    }

    /// Largest grid value strictly below a positive `x`.
    private func nextDownMagnitude(_ x: Double) -> Double {
        if exponentRange != nil && !hasSubnormals && x <= smallestNormal { return 0 }
        if x == .infinity {  // only F_p gets here: its largest value that is a Double
            return Double(sign: .plus, exponent: Double.greatestFiniteMagnitude.exponent, significand: 2 - 2 * unitRoundoff)
        }
        // Spacing just below x: if x is a power of two at or above 2^emin+1, the binade below is finer. F_p is
        // limited by binary64's own spacing below 2^-1022.
        var s = ulp(at: x)
        if x.significand == 1 && x.exponent > (exponentRange?.lowerBound ?? Int.min) { s /= 2 }
        s = Swift.max(s, .leastNonzeroMagnitude)
        let k = (x / s).rounded(.up)
        return (k - 1) * s
    }

    /// Rounds a buffer with bit manipulation: for normal magnitudes the low 53 − p bits of the binary64 pattern
    /// are rounded away (ties to even) with one add and one mask; the subnormal band uses the classic
    /// add-and-subtract of a magic constant. Both are exact; the loop has no allocation.
    ///
    /// Complexity: O(n), a handful of integer operations per element.
    public func round(_ input: UnsafeBufferPointer<Double>, into output: UnsafeMutableBufferPointer<Double>) {
        precondition(input.count == output.count, "round(_:into:): buffers differ in length")
        guard hasSubnormals, precision <= 52 else {
            for i in 0..<input.count { output[i] = round(input[i]) }
            return
        }
        let shift = UInt64(53 - precision)
        let half = (UInt64(1) << (shift - 1)) &- 1
        let mask = ~((UInt64(1) << shift) &- 1)
        let maxV = maxFinite
        // Below `lowFast` the bit trick is not valid: the format's subnormals (bounded formats) or binary64's own
        // subnormals (F_p). The magic constant rounds to the subnormal spacing of bounded formats.
        let lowFast = Swift.max(smallestNormal, Double.leastNormalMagnitude)
        let magic = exponentRange.map { Double(sign: .plus, exponent: $0.lowerBound - mantissaBits + 52, significand: 1) }
        let n = input.count
        var i = 0
        while i < n {
            let x = input[i]
            let a = x.magnitude
            var q: Double
            if a >= lowFast {
                let b = a.bitPattern
                q = Double(bitPattern: (b &+ half &+ ((b >> shift) & 1)) & mask)
            } else if a.isNaN {
                q = a
            } else if let magic, a < smallestNormal {
                q = (a + magic) - magic
            } else {
                q = roundMagnitudeUnbounded(a)
            }
            q = q > maxV ? maxV : q
            output[i] = Double(signOf: x, magnitudeOf: q)
            i &+= 1
        }
    }
}
