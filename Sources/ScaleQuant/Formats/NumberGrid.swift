/// A set of representable reals that quantization rounds to.
///
/// A grid contains 0, is symmetric (g ∈ G ⇒ −g ∈ G) and is locally finite (docs/Theory.md §1). Rounding is the
/// nearest-point map with ties to the even neighbour and saturation at ±``maxFinite``: that, and not an IEEE cast
/// with overflow to infinity, is what makes the optimality results of rank-one and network quantization true.
///
/// Conforming types: ``FloatFormat`` (any precision and exponent range, or the idealized unbounded grid F_p) and
/// ``IntegerGrid`` (`step·{−q…q}`).
public protocol NumberGrid: Sendable, CustomStringConvertible {
    /// Nearest grid value to `x`; ties go to the even neighbour; beyond ±``maxFinite`` the result saturates.
    /// NaN is returned unchanged; callers validate their input first.
    func round(_ x: Double) -> Double

    /// The largest finite grid value (`+infinity` for the idealized, unbounded grid).
    var maxFinite: Double { get }

    /// The smallest positive grid value (0 when the grid has values arbitrarily close to 0).
    var smallestPositive: Double { get }

    /// The smallest grid value strictly greater than `x` (`+infinity` if there is none).
    func nextUp(_ x: Double) -> Double

    /// The largest grid value strictly smaller than `x` (`-infinity` if there is none).
    func nextDown(_ x: Double) -> Double

    /// The magnitudes `[lower, upper)` on which rounding agrees with the idealized grid of the same precision and
    /// therefore commutes with multiplication by powers of two (`round(2z) = 2·round(z)` when z and 2z both lie
    /// in it), or `nil` if the grid has no such range (integer grids).
    ///
    /// The rank-one sweep uses it to visit each periodic stretch of the scaling parameter only once.
    var regularRange: (lower: Double, upper: Double)? { get }

    /// A bound u on the relative rounding error inside ``regularRange`` (2^−p for a float format).
    var unitRoundoff: Double { get }

    /// The number of positive finite grid values, or `nil` if infinite.
    var positiveValueCount: Int? { get }

    /// Rounds every element of `input` into `output` (same count). The default loops over ``round(_:)``;
    /// ``FloatFormat`` provides a branch-light bit-manipulation loop.
    func round(_ input: UnsafeBufferPointer<Double>, into output: UnsafeMutableBufferPointer<Double>)
}

extension NumberGrid {
    /// The rounding boundaries β (midpoints of consecutive non-negative grid values) with `lower ≤ β < upper`,
    /// in increasing order. A magnitude z rounds up past the value below β exactly when it crosses β.
    ///
    /// Complexity: O(number of boundaries returned).
    public func boundaries(from lower: Double, below upper: Double) -> [Double] {
        var result: [Double] = []
        forEachBoundary(from: lower, below: upper) { beta, _ in result.append(beta) }
        return result
    }

    /// Calls `body(β, above)` for every rounding boundary β, `lower ≤ β < upper`, in increasing order, where
    /// `above` is the grid value a magnitude rounds to just after crossing β.
    @inlinable
    public func forEachBoundary(from lower: Double, below upper: Double, _ body: (Double, Double) -> Void) {
        guard upper > lower, upper > 0 else { return }
        let start = Swift.max(lower, 0)
        // The grid value just below (or at) `start`, then walk the boundaries upwards.
        var v = round(start)
        if v > start { v = nextDown(v) }
        if v < 0 { v = 0 }
        while v < maxFinite {
            let w = nextUp(v)
            if !w.isFinite { break }
            let beta = v + (w - v) / 2
            if beta >= upper { break }
            if beta >= start { body(beta, w) }
            v = w
        }
    }

    /// Every non-negative grid value in increasing order, for finite grids (`nil` for infinite ones).
    /// Meant for brute-force oracles and tables; do not call it on binary64.
    public func nonNegativeValues(limit: Int = 1 << 22) -> [Double]? {
        guard let count = positiveValueCount, count <= limit else { return nil }
        var out = [0.0]
        out.reserveCapacity(count + 1)
        var v = 0.0
        while true {
            v = nextUp(v)
            if !v.isFinite || v > maxFinite { break }
            out.append(v)
        }
        return out
    }

    /// Rounds every element of `input` into `output` with ``round(_:)``, one at a time.
    public func round(_ input: UnsafeBufferPointer<Double>, into output: UnsafeMutableBufferPointer<Double>) {
        precondition(input.count == output.count, "round(_:into:): buffers differ in length")
        for i in 0..<input.count { output[i] = round(input[i]) }
    }

    /// Rounds an array elementwise.
    public func round(_ values: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in round(src, into: dst) }
        }
        return out
    }

    /// Stochastic rounding: one of the two grid neighbours of `x`, the upper one with probability equal to the
    /// relative distance from the lower one, so that the expected value is `x` (inside the range). Saturates.
    /// A baseline only: it is not what the optimal algorithms use.
    public func stochasticRound<R: RandomNumberGenerator>(_ x: Double, using rng: inout R) -> Double {
        guard x.isFinite else { return x.isNaN ? x : (x > 0 ? maxFinite : -maxFinite) }
        if x >= maxFinite { return maxFinite }
        if x <= -maxFinite { return -maxFinite }
        let r = round(x)
        if r == x { return x }
        let lo = r < x ? r : nextDown(x)
        let hi = r > x ? r : nextUp(x)
        let pUp = (x - lo) / (hi - lo)
        let u = Double(rng.next() >> 11) * 0x1p-53
        return u < pUp ? hi : lo
    }
}
