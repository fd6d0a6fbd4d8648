/// The path-lifting comparison of a quantized network with its original, as every entry point reports it (the
/// CLI's `compare` and `quantize`, the C interface's `out_stats`, reports): computed in one place so that the
/// figures agree everywhere (docs/Theory.md §4.3–4.4).
public struct PathMetrics: Sendable, Equatable {
    /// ‖Φ(θ) − Φ(θ̂)‖₂.
    public var l2PathMetric: Double
    /// ‖Φ(θ) − Φ(θ̂)‖₂ / ‖Φ(θ)‖₂ (0 for a network with no path).
    public var relativeL2PathMetric: Double
    /// ‖Φ(max(|θ|, |θ̂|))‖₁ − ‖Φ(min(|θ|, |θ̂|))‖₁, a bound on ‖Φ(θ) − Φ(θ̂)‖₁; `nil` when a parameter changes sign.
    public var l1PathMetricBound: Double?
    /// max(radius, 1) × the ℓ¹ bound: a bound on the output error for inputs with ‖x‖_∞ ≤ radius; `nil` with it.
    public var certifiedOutputBound: Double?
    /// The input radius of the certified bound.
    public var radius: Double

    /// The metrics of a graph `quantized` against `original` (same structure, no batch normalization: fold it
    /// first). O(edges).
    ///
    /// - Throws: ``GraphError`` for graphs of different structures or with batch normalization, or a radius that
    ///   is negative or not finite.
    public init(original: GraphNetwork, quantized: GraphNetwork, radius: Double = 1) throws {
        guard radius >= 0, radius.isFinite else {
            throw GraphError.invalidArgument("radius \(radius) must be finite and ≥ 0")
        }
        let norm = try GraphPathLifting.pathNorm(original, q: 2)
        self.init(l2: try GraphPathLifting.l2PathMetric(original, quantized), norm: norm,
                  l1: try GraphPathLifting.l1PathMetricBound(original, quantized), radius: radius)
    }

    private init(l2: Double, norm: Double, l1: Double?, radius: Double) {
        l2PathMetric = l2
        relativeL2PathMetric = norm > 0 ? l2 / norm : 0
        l1PathMetricBound = l1
        certifiedOutputBound = l1.map { max(radius, 1) * $0 }
        self.radius = radius
    }
}
