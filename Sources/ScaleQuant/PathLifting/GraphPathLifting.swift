#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Path-lifting measures of graph ReLU networks (convolutions, pooling, residual joins), computed without
/// enumerating paths: A. Gonon, N. Brisebarre, E. Riccietti, R. Gribonval, *A path-norm toolkit for modern
/// networks*, arXiv 2310.01225, and *A rescaling-invariant Lipschitz bound based on path-metrics for modern ReLU
/// network parameterizations*, arXiv 2405.15006; docs/Theory.md §4.
///
/// Φ(θ) has one coordinate per path of the graph's DAG (one vertex per element of every value) ending at an
/// output element: from an input element (value: product of the edge weights) or from a conv/linear bias b
/// (value: b × product of the weights after it). Edge weights are the conv/linear weights, 1 for max-pooling (it
/// counts as sum-pooling), 1/k for an average pool over k elements, 1 for add, ReLU and flatten. Every measure is
/// invariant under the rescalings of ``GraphNetwork/rescaled(by:)`` and is one or two identity-activation passes
/// on the all-ones input: O(E) with E the number of edges (≈ multiply-adds of one forward pass). The graphs must
/// be free of batch normalization (``GraphNetwork/foldingBatchNorm()``).
public enum GraphPathLifting {
    /// ‖Φ(θ)‖_q^q: the identity-activation pass with |w|^q, |b|^q and (1/k)^q on average-pool edges. O(E).
    ///
    /// - Throws: ``GraphError`` if q is not positive and finite or the graph has batch normalization.
    public static func pathNormPower(_ g: GraphNetwork, q: Double = 1) throws -> Double {
        guard q > 0, q.isFinite else { throw GraphError.invalidArgument("path-norm exponent q = \(q) must be > 0") }
        try g.requireNoBatchNorm("the path-norm")
        if q == 1 { return totalSum(g, g) { x, _ in abs(x) } }
        if q == 2 { return totalSum(g, g) { x, _ in x * x } }
        return totalSum(g, g) { x, _ in pow(abs(x), q) }
    }

    /// The ℓ_q path-norm ‖Φ(θ)‖_q = (‖Φ(θ)‖_q^q)^(1/q). O(E).
    ///
    /// - Throws: as ``pathNormPower(_:q:)``.
    public static func pathNorm(_ g: GraphNetwork, q: Double = 1) throws -> Double {
        let s = try pathNormPower(g, q: q)
        return q == 1 ? s : (q == 2 ? s.squareRoot() : pow(s, 1 / q))
    }

    /// ⟨Φ(θ), Φ(θ')⟩: the identity-activation pass with w⊙w', b⊙b' and (1/k)² on average-pool edges. O(E).
    ///
    /// - Throws: ``GraphError`` if the structures differ or a graph has batch normalization.
    public static func innerProduct(_ a: GraphNetwork, _ b: GraphNetwork) throws -> Double {
        try checkPair(a, b)
        return totalSum(a, b, *)
    }

    /// ‖Φ(θ) − Φ(θ')‖₂ by polarization, √(‖Φ‖² + ‖Φ'‖² − 2⟨Φ, Φ'⟩) (clamped at 0): absolute error ≈ u‖Φ‖², so
    /// prefer ``l2PathMetric(_:_:)``. O(E).
    ///
    /// - Throws: as ``innerProduct(_:_:)``.
    public static func l2PathMetricByPolarization(_ a: GraphNetwork, _ b: GraphNetwork) throws -> Double {
        let s = try pathNormPower(a, q: 2) + pathNormPower(b, q: 2) - 2 * innerProduct(a, b)
        return max(s, 0).squareRoot()
    }

    /// Whether θ and θ' agree in sign coordinatewise (w·w' ≥ 0 for every conv/linear weight and bias), the
    /// hypothesis of the ℓ¹ bounds. `false` for different structures.
    public static func signsAgree(_ a: GraphNetwork, _ b: GraphNetwork) -> Bool {
        guard (try? a.requireSameStructure(b)) != nil else { return false }
        for (x, y) in zip(a.nodes, b.nodes) {
            for (p, q) in zip(x.weight, y.weight) where p * q < 0 { return false }
            for (p, q) in zip(x.bias, y.bias) where p * q < 0 { return false }
        }
        return true
    }

    /// Brute-force Φ(θ) (test oracle, tiny graphs): see ``GraphPathEnumerator/paths(_:limit:)``.
    ///
    /// - Throws: ``GraphError`` with batch normalization or more than `limit` stored paths.
    public static func enumeratePaths(_ g: GraphNetwork, limit: Int = 2_000_000) throws -> [Double] {
        try GraphPathEnumerator.paths(g, limit: limit).map(\.value)
    }

    /// Throws unless both graphs share a structure and have no batch normalization.
    static func checkPair(_ a: GraphNetwork, _ b: GraphNetwork) throws {
        try a.requireSameStructure(b)
        try a.requireNoBatchNorm("path measures")
    }
}
