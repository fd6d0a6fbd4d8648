/// The per-element path quantities that the exact coordinate descent on ‖Φ(θ) − Φ(θ̂)‖₂² needs (docs/Theory.md §4; the
/// perceptron derivation is in ``DenseChainQuantizer``'s coordinate descent): for every element e of every value, with P_e,
/// P̂_e the vectors of in-path values of e in θ and θ̂ and S_e, Ŝ_e those of its out-paths,
/// the paths through e form the block P_e ⊗ S_e of Φ, so a unit's contribution to the metric is expressed through
/// ⟨P, P̂⟩, ‖P̂‖², ⟨S, Ŝ⟩ and ‖Ŝ‖² of the elements around it.
///
/// Arrays are indexed by value (0: the graph input, k + 1: node k), then by element (NCHW order within a sample).
public struct GraphPathQuantities: Sendable, Equatable {
    /// F_e = ⟨P_e, P̂_e⟩ over the in-paths of e (input elements: 1). A path starting at a bias b (of e's own node
    /// or an earlier one) has value b × Π w in θ and b̂ × Π ŵ in θ̂; seen from the unit the bias belongs to, the
    /// bias is a weight on a constant input whose F and N̂ are 1.
    public var forwardInner: [[Double]]
    /// N̂_e = ‖P̂_e‖² (input elements: 1).
    public var forwardNormSquared: [[Double]]
    /// G_e = ⟨S_e, Ŝ_e⟩ over the out-paths of e to the output elements (output elements: 1; elements no path
    /// leaves, e.g. input pixels skipped by a stride: 0).
    public var backwardInner: [[Double]]
    /// M̂_e = ‖Ŝ_e‖² (output elements: 1).
    public var backwardNormSquared: [[Double]]
}

extension GraphPathLifting {
    /// F and N̂ for every value element: identity-activation forward passes with w⊙ŵ, b⊙b̂ and ŵ⊙ŵ, b̂⊙b̂ (average
    /// pools: (1/k)², max-pools and adds: 1), on the graphs as given (not normalized: these quantities are not
    /// rescaling-invariant, their combinations in the metric are).
    ///
    /// - Complexity: O(E), two passes.
    /// - Throws: ``GraphError`` if the structures differ or a graph has batch normalization.
    public static func forwardQuantities(_ theta: GraphNetwork, _ thetaHat: GraphNetwork) throws
        -> (inner: [[Double]], normSquared: [[Double]]) {
        try checkPair(theta, thetaHat)
        return (forwardSums(theta, thetaHat, *), forwardSums(thetaHat, thetaHat, *))
    }

    /// G and M̂ for every value element: the transposed (backward) passes with w⊙ŵ and ŵ⊙ŵ from all-ones at the
    /// output elements.
    ///
    /// - Complexity: O(E), two passes.
    /// - Throws: ``GraphError`` if the structures differ or a graph has batch normalization.
    public static func backwardQuantities(_ theta: GraphNetwork, _ thetaHat: GraphNetwork) throws
        -> (inner: [[Double]], normSquared: [[Double]]) {
        try checkPair(theta, thetaHat)
        return (backwardSums(theta, thetaHat, *), backwardSums(thetaHat, thetaHat, *))
    }

    /// All four quantities at once (four O(E) passes, the forward pair and the backward pair run concurrently).
    ///
    /// - Throws: as ``forwardQuantities(_:_:)``.
    public static func quantities(_ theta: GraphNetwork, _ thetaHat: GraphNetwork) throws -> GraphPathQuantities {
        try checkPair(theta, thetaHat)
        let (f, b) = parallelPair({ (forwardSums(theta, thetaHat, *), forwardSums(thetaHat, thetaHat, *)) },
                                  { (backwardSums(theta, thetaHat, *), backwardSums(thetaHat, thetaHat, *)) })
        return GraphPathQuantities(forwardInner: f.0, forwardNormSquared: f.1, backwardInner: b.0,
                                   backwardNormSquared: b.1)
    }
}
