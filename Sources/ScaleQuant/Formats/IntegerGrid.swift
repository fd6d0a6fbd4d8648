/// A symmetric integer / fixed-point grid `step·{−q, …, q}` (docs/Theory.md §1), the grid of `intN` quantization with a
/// per-tensor scale. For b-bit signed codes q = 2^(b−1) − 1 (the symmetric range: −2^(b−1) is not used).
///
/// Grid values are `k·step` rounded to binary64; rounding picks the integer k minimizing |x − k·step| (checked with
/// fused multiply-adds, so a non-power-of-two step does not misplace midpoints), ties to even k, saturating at ±q.
public struct IntegerGrid: NumberGrid, Hashable {
    /// Name as parsed (`"int8"`, `"int4@0.125"`).
    public let name: String
    /// The spacing of the grid.
    public let step: Double
    /// The largest code magnitude q.
    public let maxCode: Int

    /// Creates `step·{−maxCode…maxCode}`.
    public init(name: String? = nil, step: Double = 1, maxCode: Int) throws {
        guard step.isFinite, step > 0 else { throw FormatError.invalid("integer grid step must be finite and > 0 (got \(step))") }
        guard maxCode >= 1, maxCode <= (1 << 52) else { throw FormatError.invalid("integer grid needs 1 ≤ q ≤ 2^52 (got \(maxCode))") }
        guard (Double(maxCode) * step).isFinite else { throw FormatError.invalid("integer grid q·step overflows (q = \(maxCode), step \(step))") }
        self.step = step
        self.maxCode = maxCode
        self.name = name ?? "q\(maxCode)@\(step)"
    }

    /// Symmetric b-bit integers `step·{−(2^(b−1)−1) … 2^(b−1)−1}`.
    public init(bits: Int, step: Double = 1) throws {
        guard (2...53).contains(bits) else { throw FormatError.invalid("intN needs 2 ≤ N ≤ 53 (got \(bits))") }
        try self.init(name: step == 1 ? "int\(bits)" : "int\(bits)@\(step)", step: step, maxCode: (1 << (bits - 1)) - 1)
    }

    /// The name.
    public var description: String { name }
    /// `maxCode·step`.
    public var maxFinite: Double { Double(maxCode) * step }
    /// `step`.
    public var smallestPositive: Double { step }
    /// Integer grids have no power-of-two periodicity.
    public var regularRange: (lower: Double, upper: Double)? { nil }
    /// Half a step relative to the smallest non-zero value: 1/2.
    public var unitRoundoff: Double { 0.5 }
    /// q.
    public var positiveValueCount: Int? { maxCode }

    /// The code k (|k| ≤ q) of the nearest grid value, ties to even k.
    @inlinable
    public func code(_ x: Double) -> Int {
        let q = Double(maxCode)
        var k = (x / step).rounded(.toNearestOrEven)
        if k > q { k = q } else if k < -q { k = -q }
        // Exact fix-up: compare distances to the neighbours with single-rounding residuals.
        let d0 = Swift.abs(x.addingProduct(-k, step))
        if k < q {
            let d1 = Swift.abs(x.addingProduct(-(k + 1), step))
            if d1 < d0 || (d1 == d0 && (k + 1).truncatingRemainder(dividingBy: 2) == 0) { k += 1 }
        }
        if k > -q {
            let dk = Swift.abs(x.addingProduct(-k, step))
            let dm = Swift.abs(x.addingProduct(-(k - 1), step))
            if dm < dk || (dm == dk && (k - 1).truncatingRemainder(dividingBy: 2) == 0) { k -= 1 }
        }
        return Int(k)
    }

    /// Nearest grid value, ties to the even code, saturating at ±q·step.
    @inlinable
    public func round(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x >= maxFinite { return maxFinite }
        if x <= -maxFinite { return -maxFinite }
        let v = Double(code(x)) * step
        return v == 0 ? (x < 0 ? -0.0 : 0.0) : v
    }

    /// Next grid value above `x`.
    public func nextUp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x >= maxFinite { return .infinity }
        if x < -maxFinite { return -maxFinite }
        var k = (x / step).rounded(.down)
        while k * step <= x { k += 1 }
        while (k - 1) * step > x { k -= 1 }
        return k * step
    }

    /// Next grid value below `x`.
    public func nextDown(_ x: Double) -> Double {
        if x.isNaN { return x }
        let u = nextUp(-x)
        return u.isInfinite ? -.infinity : -u
    }
}
