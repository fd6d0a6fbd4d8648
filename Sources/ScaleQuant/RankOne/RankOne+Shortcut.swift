extension RankOne {
    /// Solves a problem on bounded float formats through the idealized grids F_p of the same precisions, when that
    /// is exact.
    ///
    /// Every value of a float format with precision p (subnormals included) has at most p significant bits, so the
    /// format is a subset of F_p, and the minimum over F_p^m × F_p^n is a lower bound. The objective is unchanged
    /// by (x̂, ŷ) → (x̂·2^s, ŷ·2^−s), so if some shift of the F_p minimizer lies in the bounded formats, it is a
    /// minimizer there too. F_p needs one binade of the scale where the bounded formats need all of them (about
    /// 40 for binary16), so this is much faster whenever it applies; otherwise the caller runs the full sweep.
    ///
    /// `orders` keeps the slot orders of the two sides (they depend only on the magnitudes and the precision) for
    /// the full sweep that follows when the answer does not fit.
    ///
    /// - Returns: the exact bounded-format solution, or `nil` if the F_p solution does not fit.
    static func solveThroughIdealized(_ fx: FloatFormat, _ fy: FloatFormat, a: [Double], c: [Double], b: [Double],
                                      d: [Double], keepY: Bool, parallel: Bool = true,
                                      orders: SlotOrderCache? = nil) throws -> WeightedResult? {
        guard !fx.isIdealized || !fy.isIdealized else { return nil }
        if cannotFit(fx, fy, a: a, c: c, b: b, d: d, keepY: keepY) { return nil }
        let ix = try FloatFormat.idealized(precision: fx.precision), iy = try FloatFormat.idealized(precision: fy.precision)
        // Over budget on F_p means over budget on the formats (the same boundaries per binade): let the full
        // sweep refuse, naming the caller's format.
        let r: WeightedResult
        do {
            r = try solve(ix, iy, a: a, c: c, b: b, d: d, keepY: keepY, parallel: parallel, orders: orders)
        } catch RankOneError.tooLarge {
            return nil
        }
        let shift = representableShift(r.xHat, in: fx, r.yHat, in: keepY ? nil : fy)
        RankOneStatistics.recordShortcut(hit: shift != nil)
        guard let s = shift else { return nil }
        var out = r
        out.xHat = r.xHat.map { scaled($0, s) }
        if !keepY { out.yHat = r.yHat.map { scaled($0, -s) } }
        out.lambda = scaled(r.lambda, s)
        out.mu = scaled(r.mu, -s)
        return out
    }

    /// Whether the F_p answer provably cannot be shifted into the bounded formats, so that trying it is wasted.
    ///
    /// The F_p answer is x̂ = Q(λρ), ŷ = Q(μσ) (ρ = |a/c|, σ = |b/d|, non-zero entries) with μ = S/N a weighted mean
    /// of the ratios ρ_k/x̂_k ∈ [1/(λ(1+u)), 1/(λ(1−u))], so λμ ∈ [1/(1+u_x), 1/(1−u_x)], and every entry is non-zero
    /// with relative error at most u. A shift s with x̂·2^s in `fx` and ŷ·2^−s in `fy` needs (smallest positive
    /// value v, largest value M) max x̂/min x̂ ≤ M_x/v_x, the same for ŷ, and v_x·v_y ≤ x̂_k ŷ_j ≤ M_x·M_y for
    /// every pair; with the bounds above on x̂_k ŷ_j/(ρ_k σ_j), each of these is a condition on the extreme
    /// magnitudes alone, checked here with a 2^−40 allowance for rounding. Only a sufficient test for failure:
    /// answers that pass it may still not fit.
    ///
    /// Complexity: O(m + n).
    static func cannotFit(_ fx: FloatFormat, _ fy: FloatFormat, a: [Double], c: [Double], b: [Double], d: [Double],
                          keepY: Bool) -> Bool {
        func range(_ v: [Double], _ w: [Double]) -> (lo: Double, hi: Double)? {
            var lo = Double.infinity, hi = 0.0
            for (x, y) in zip(v, w) where x != 0 {
                let r = Swift.abs(x / y)
                lo = Swift.min(lo, r); hi = Swift.max(hi, r)
            }
            return hi > 0 ? (lo, hi) : nil
        }
        guard let x = range(a, c) else { return false }
        let ux = fx.unitRoundoff, uy = fy.unitRoundoff
        let slack = 0x1p-40
        let vx = fx.smallestPositive, mx = fx.maxFinite
        if !fx.isIdealized && x.hi * (1 - ux) > x.lo * (1 + ux) * (mx / vx) * (1 + slack) { return true }
        if keepY { return false }
        guard let y = range(b, d) else { return false }
        let vy = fy.smallestPositive, my = fy.maxFinite
        if !fy.isIdealized && y.hi * (1 - uy) > y.lo * (1 + uy) * (my / vy) * (1 + slack) { return true }
        if !fx.isIdealized && !fy.isIdealized {
            let smallest = x.lo * y.lo * (1 + ux) * (1 + uy) / (1 - ux) * (1 + slack)
            if smallest < vx * vy { return true }
            let largest = x.hi * y.hi * (1 - ux) * (1 - uy) / (1 + ux) * (1 - slack)
            if largest > mx * my { return true }
        }
        return false
    }

    /// A power of two s such that x̂·2^s lies in `fx` and ŷ·2^−s in `fy` (when given), preferring balanced
    /// magnitudes; `nil` if there is none.
    ///
    /// Complexity: O((m + n)·w) for the w shifts that the extreme magnitudes allow (at most a few dozen).
    static func representableShift(_ x: [Double], in fx: FloatFormat, _ y: [Double], in fy: FloatFormat?) -> Int? {
        func exponents(_ v: [Double]) -> (lo: Int, hi: Int)? {
            let nz = v.lazy.filter { $0 != 0 }.map { Int(Swift.abs($0).exponent) }
            guard let lo = nz.min(), let hi = nz.max() else { return nil }
            return (lo, hi)
        }
        // Shifts allowed by the largest and smallest magnitudes, with one binade of slack on each side.
        func window(_ e: (lo: Int, hi: Int), _ f: FloatFormat) -> ClosedRange<Int>? {
            guard let r = f.exponentRange else { return nil }
            let lowest = r.lowerBound - (f.hasSubnormals ? f.mantissaBits : 0)
            let lo = lowest - e.lo - 1, hi = r.upperBound - e.hi + 1
            return lo <= hi ? lo...hi : nil
        }
        guard let ex = exponents(x), var range = window(ex, fx) else { return exponents(x) == nil ? 0 : nil }
        var target = 0
        if let fy, let ey = exponents(y) {
            guard let ry = window(ey, fy) else { return nil }
            // x̂·2^s needs s ∈ range; ŷ·2^−s needs −s ∈ ry.
            let lo = Swift.max(range.lowerBound, -ry.upperBound), hi = Swift.min(range.upperBound, -ry.lowerBound)
            guard lo <= hi else { return nil }
            range = lo...hi
            target = (ey.hi - ex.hi) / 2   // balanced: ex.hi + s ≈ ey.hi − s
        } else {
            target = -ex.hi                // x̂ alone: largest magnitude in [1, 2)
        }
        let fits: (Int) -> Bool = { s in
            x.allSatisfy { v in let w = scaled(v, s); return fx.round(w) == w }
                && (fy.map { f in y.allSatisfy { v in let w = scaled(v, -s); return f.round(w) == w } } ?? true)
        }
        return range.sorted { abs($0 - target) < abs($1 - target) }.first(where: fits)
    }
}
