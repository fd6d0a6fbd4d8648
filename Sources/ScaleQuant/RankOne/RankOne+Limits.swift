// The rank-one solver's limits: the one place that says which inputs it refuses. Every caller (the CLI, the C
// interface and Python, the network and chain quantizers) reaches these checks through the solver itself, or
// through `checkLimits(_:grid:name:)` to refuse before starting a long computation.

extension RankOne {
    /// Largest spread, in binades, between the largest and the smallest non-zero magnitude of one side (of x, or of
    /// a/c in the weighted problem), and largest |binade| of the entries of xyᵀ: beyond, the sweep's scales 2^k and
    /// sums of squares would leave binary64's range.
    public static let maxBinadeSpan = 800

    /// Most breakpoints the sweep generates for one side over the binades it visits (time).
    public static let maxBreakpoints = 1 << 31

    /// Most breakpoints per binade of the scale (memory): non-zero entries × the grid's rounding boundaries per
    /// binade (2^(p−1) for a float format of precision p, q for an integer grid).
    public static let maxBreakpointsPerBinade = 1 << 26

    /// Refuses `v` as one side of a rank-one problem on `grid` when every solve would refuse it: its non-zero
    /// magnitudes span more than ``maxBinadeSpan`` binades, or its non-zero entries × the grid's boundaries per
    /// binade exceed ``maxBreakpointsPerBinade``. (A bounded format whose F_p shortcut does not apply is also held
    /// to ``maxBreakpoints`` over all its binades, and a product xyᵀ to 2^±``maxBinadeSpan``; the solver checks
    /// those when it meets them.)
    ///
    /// Complexity: O(m).
    /// - Throws: ``RankOneError/outOfRange(_:)`` or ``RankOneError/tooLarge(_:)``, the message naming `name`.
    public static func checkLimits(_ v: [Double], grid: any NumberGrid, name: String) throws {
        try checkRange(v, name)
        try checkBudget(grid, count: v.lazy.filter { $0 != 0 }.count, side: name, allBinades: false)
    }

    /// Throws if the non-zero magnitudes of one side span more than ``maxBinadeSpan`` binades.
    static func checkRange(_ v: [Double], _ name: String) throws {
        let nonZero = v.lazy.filter { $0 != 0 }.map { Swift.abs($0) }
        guard let hi = nonZero.max(), let lo = nonZero.min() else { return }
        if Int(hi.exponent) - Int(lo.exponent) > maxBinadeSpan {
            throw RankOneError.outOfRange("the non-zero entries of \(name) span 2^\(lo.exponent)…2^\(hi.exponent), more "
                + "than the \(maxBinadeSpan) binades the sweep handles; rescale or clip the input")
        }
    }

    /// Throws if the entries of xyᵀ, of magnitude about 2^`binade`, are beyond 2^±``maxBinadeSpan``.
    static func checkProduct(binade: Int) throws {
        if abs(binade) > maxBinadeSpan {
            throw RankOneError.outOfRange("xyᵀ has entries near 2^\(binade), beyond the supported 2^±\(maxBinadeSpan); "
                + "rescale the input")
        }
    }

    /// Throws if the exact sweep on `grid` with `count` non-zero coordinates would exceed the budgets: a float
    /// format has 2^(p−1) boundaries per binade (binary64: 2^52, refused) and, with `allBinades`, up to 64 binades
    /// are counted; an integer grid has q boundaries in all.
    static func checkBudget<G: NumberGrid>(_ grid: G, count: Int, side: String, allBinades: Bool) throws {
        let perBinade: Double, total: Double
        if grid.regularRange == nil, let q = grid.positiveValueCount {
            perBinade = Double(q); total = Double(q) * Double(count)
        } else {
            perBinade = 0.5 / grid.unitRoundoff
            let binades = allBinades ? Double(grid.positiveValueCount ?? Int.max) / perBinade : 1
            total = perBinade * Double(count) * Swift.min(binades, 64)
        }
        if perBinade * Double(count) > Double(maxBreakpointsPerBinade) {
            throw RankOneError.tooLarge("the exact sweep on \(grid) with \(count) non-zero entries in \(side) needs about "
                + "\(Int(perBinade)) breakpoints per entry and binade, over the limit of \(maxBreakpointsPerBinade) per "
                + "binade; use a coarser format (binary64 and large binary32 problems are out of reach)")
        }
        if total > Double(maxBreakpoints) {
            throw RankOneError.tooLarge("the exact sweep on \(grid) with \(count) non-zero entries in \(side) needs about "
                + "\(Int(total)) breakpoints over the binades of the format, over the limit of \(maxBreakpoints); use a "
                + "coarser format or fewer entries")
        }
    }
}
