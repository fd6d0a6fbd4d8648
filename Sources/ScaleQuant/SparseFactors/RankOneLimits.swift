/// Guards around the rank-one solver for inputs it cannot handle: refuses what would exhaust memory and rebalances
/// extreme magnitudes by exact powers of two.
///
/// The rank-one problem depends on x and y only through xyᵀ, so (x·2^s, y·2^−s) has the same solutions; for
/// x-only quantization (`quantizeKeepingY`) the family {Q(λx)} does not depend on a positive factor of x either.
/// The current solver fails on magnitudes near the ends of binary64 (allocation failures that abort the process,
/// NaN or zero answers: bugs reported upstream), on vectors spanning thousands of binades, and on grids with so many
/// values per binade that nnz·2^(p−1) breakpoints do not fit in memory (binary64). These limits keep every call safe.
public enum RankOneLimits {
    /// Largest spread (binades between the largest and smallest non-zero magnitude) of one vector.
    public static let maxSpread = 500
    /// Largest |exponent| of a vector's largest magnitude after rebalancing.
    public static let maxExponent = 400
    /// Largest number of breakpoints per binade (non-zero entries × grid values per binade).
    public static let maxBreakpointsPerBinade = 1 << 26

    /// (count of non-zeros, largest exponent, smallest exponent) of v.
    static func profile(_ v: [Double]) -> (count: Int, maxExp: Int, minExp: Int) {
        var count = 0, hi = Int.min, lo = Int.max
        for e in v where e != 0 && e.isFinite {
            count += 1
            let x = Int(Swift.abs(e).exponent)
            hi = Swift.max(hi, x)
            lo = Swift.min(lo, x)
        }
        return (count, hi, lo)
    }

    /// Throws ``SparseFactorError/tooExpensive(_:)`` if v has too many entries for the grid or spans too many binades.
    public static func check(_ v: [Double], grid: any NumberGrid, label: String) throws {
        let p = profile(v)
        guard p.count > 0 else { return }
        let perCoordinate: Double
        if let f = grid as? FloatFormat {
            perCoordinate = Double(sign: .plus, exponent: f.precision - 1, significand: 1)
        } else {
            perCoordinate = grid.positiveValueCount.map(Double.init) ?? .infinity
        }
        if Double(p.count) * perCoordinate > Double(maxBreakpointsPerBinade) {
            throw SparseFactorError.tooExpensive(
                "\(label): \(p.count) non-zero entries × \(perCoordinate) grid values per binade exceed the limit of "
                    + "\(maxBreakpointsPerBinade) rank-one breakpoints (use a narrower format)")
        }
        if p.maxExp - p.minExp > maxSpread {
            throw SparseFactorError.tooExpensive(
                "\(label): non-zero magnitudes span \(p.maxExp - p.minExp) binades (limit \(maxSpread))")
        }
    }

    /// ``RankOne/quantize(x:y:grid:gridY:)`` after ``check(_:grid:label:)`` of both vectors and a power-of-two
    /// rebalancing when a magnitude is extreme; λ and μ refer to the caller's x and y.
    public static func quantize(x: [Double], y: [Double], grid: any NumberGrid,
                                gridY: (any NumberGrid)? = nil) throws -> RankOneResult {
        try check(x, grid: grid, label: "x")
        try check(y, grid: gridY ?? grid, label: "y")
        let px = profile(x), py = profile(y)
        guard px.count > 0, py.count > 0,
              Swift.abs(px.maxExp) > maxExponent || Swift.abs(py.maxExp) > maxExponent else {
            return try RankOne.quantize(x: x, y: y, grid: grid, gridY: gridY)
        }
        let s = (py.maxExp - px.maxExp) / 2
        guard Swift.abs(px.maxExp + s) <= maxExponent, Swift.abs(py.maxExp - s) <= maxExponent else {
            throw SparseFactorError.tooExpensive(
                "the rank-one product has magnitudes near 2^\(px.maxExp + py.maxExp), beyond the supported 2^±\(2 * maxExponent)")
        }
        var r = try RankOne.quantize(x: x.map { $0 * pow2(s) }, y: y.map { $0 * pow2(-s) }, grid: grid, gridY: gridY)
        r.lambda *= pow2(s)
        r.mu *= pow2(-s)
        r.relativeError = RankOne.relativeError(x, y, r.xHat, r.yHat)
        r.rtnRelativeError = RankOne.relativeError(x, y, grid.round(x), (gridY ?? grid).round(y))
        return r
    }

    /// ``RankOne/quantizeKeepingY(x:grid:)`` after ``check(_:grid:label:)``, with x rebalanced to a largest
    /// magnitude in [1, 2) when extreme; μ refers to the caller's x.
    public static func quantizeKeepingY(x: [Double], grid: any NumberGrid) throws -> (xHat: [Double], mu: Double) {
        try check(x, grid: grid, label: "x")
        let px = profile(x)
        guard px.count > 0, Swift.abs(px.maxExp) > maxExponent else {
            let r = try RankOne.quantizeKeepingY(x: x, grid: grid)
            return (r.xHat, r.mu)
        }
        let r = try RankOne.quantizeKeepingY(x: x.map { $0 * pow2(-px.maxExp) }, grid: grid)
        return (r.xHat, r.mu * pow2(px.maxExp))
    }

    /// 2^e for |e| ≤ 1023.
    static func pow2(_ e: Int) -> Double { Double(sign: .plus, exponent: e, significand: 1) }
}
