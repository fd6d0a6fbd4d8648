/// A grid times a stored scale, `scale·G`: the grid of a float format with a per-tensor or per-channel scale
/// (the way practitioners store FP8/FP4 weights: codes of the element format plus a float32 scale).
///
/// Grid values are `scale·g` for g ∈ G. With a float32 scale and a base of at most 24 significand bits the products
/// are exact in binary64, so the grid is exactly what a decoder computes (code value × scale). Rounding takes the
/// base grid's nearest value to x/scale and then compares it with its two neighbours by the exact residuals
/// |x − scale·g| (fused multiply-adds), so the division's rounding error cannot misplace a midpoint; exact ties
/// keep the base grid's (ties-to-even) choice. ``regularRange`` scales with the grid, so the rank-one sweep's
/// power-of-two periodicity still holds: round(2z) = 2·round(z) inside it.
public struct ScaledGrid: NumberGrid {
    /// The unscaled grid G (e.g. e4m3).
    public let base: any NumberGrid
    /// The positive, finite scale.
    public let scale: Double

    /// Creates `scale·base`.
    ///
    /// - Throws: ``FormatError/invalid(_:)`` unless the scale is finite and > 0 and `scale·base.maxFinite` finite.
    public init(base: any NumberGrid, scale: Double) throws {
        guard scale.isFinite, scale > 0, (scale * base.maxFinite).isFinite || !base.maxFinite.isFinite else {
            throw FormatError.invalid("grid scale must be finite and > 0 with a finite range (got \(scale))")
        }
        self.base = base
        self.scale = scale
    }

    /// The float32 scale that maps `amax` to `base.maxFinite` (rounded up to a float32, so that `amax` is not
    /// clipped), or 1 when `amax` is 0 or the base is unbounded: absmax scaling, the rule of per-tensor and
    /// per-channel quantizers (torchao, ONNX Runtime).
    public static func absmaxScale(_ amax: Double, base: any NumberGrid) -> Double {
        guard amax > 0, amax.isFinite, base.maxFinite.isFinite, base.maxFinite > 0 else { return 1 }
        var f = Float(amax / base.maxFinite)
        if Double(f) * base.maxFinite < amax { f = f.nextUp }
        return f > 0 && f.isFinite ? Double(f) : 1
    }

    /// `base×scale`.
    public var description: String { "\(base)×\(scale)" }
    /// `scale·base.maxFinite`.
    public var maxFinite: Double { scale * base.maxFinite }
    /// `scale·base.smallestPositive`.
    public var smallestPositive: Double { scale * base.smallestPositive }
    /// The base's range, scaled.
    public var regularRange: (lower: Double, upper: Double)? {
        base.regularRange.map { (scale * $0.lower, scale * $0.upper) }
    }
    /// The base's bound.
    public var unitRoundoff: Double { base.unitRoundoff }
    /// The base's count.
    public var positiveValueCount: Int? { base.positiveValueCount }

    /// Nearest value to x (see the type's documentation). O(1).
    public func round(_ x: Double) -> Double {
        guard x.isFinite else { return x.isNaN ? x : (x > 0 ? maxFinite : -maxFinite) }
        var g = base.round(x / scale)
        var d = Swift.abs(x.addingProduct(-g, scale))
        for c in [base.nextUp(g), base.nextDown(g)] where c.isFinite && Swift.abs(c) <= base.maxFinite {
            let e = Swift.abs(x.addingProduct(-c, scale))
            if e < d { g = c; d = e }
        }
        return scale * g
    }

    /// The smallest grid value > x. O(1).
    public func nextUp(_ x: Double) -> Double {
        var g = base.nextUp(x / scale)
        while g.isFinite { let d = base.nextDown(g); if d.isFinite, scale * d > x { g = d } else { break } }
        while g.isFinite, scale * g <= x { g = base.nextUp(g) }
        return g.isFinite ? scale * g : .infinity
    }

    /// The largest grid value < x. O(1).
    public func nextDown(_ x: Double) -> Double { -nextUp(-x) }
}
