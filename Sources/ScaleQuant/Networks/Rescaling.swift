/// Positive per-neuron scalings of a network's hidden layers: `factors[ℓ][i]` multiplies the incoming row and
/// bias of neuron i of hidden layer ℓ and divides its outgoing column (docs/Theory.md §4). The network function and the
/// path-lifting Φ are unchanged.
public struct NeuronScalings: Sendable, Equatable {
    /// One array per hidden layer, one positive factor per neuron.
    public var factors: [[Double]]

    /// Wraps the factors (not validated: ``ReLUNetwork/applyingScalings(_:)`` checks them).
    public init(factors: [[Double]]) { self.factors = factors }

    /// All factors 1 for this network.
    public static func identity(for network: ReLUNetwork) -> NeuronScalings {
        NeuronScalings(factors: network.hiddenSizes.map { [Double](repeating: 1, count: $0) })
    }

    /// The composition: applying `self` then `other` equals applying the product.
    public func then(_ other: NeuronScalings) -> NeuronScalings {
        NeuronScalings(factors: zip(factors, other.factors).map { zip($0, $1).map { $0 * $1 } })
    }

    /// The inverse scaling.
    public var inverse: NeuronScalings { NeuronScalings(factors: factors.map { $0.map { 1 / $0 } }) }
}

extension ReLUNetwork {
    /// Applies positive scalings: W_ℓ ← D_ℓ W_ℓ D_{ℓ−1}⁻¹, b_ℓ ← D_ℓ b_ℓ (D₀ = D_L = I).
    ///
    /// - Complexity: O(parameters).
    /// - Throws: ``NetworkError`` if the shapes do not match the hidden layers or a factor is not positive and
    ///   finite.
    public func applyingScalings(_ s: NeuronScalings) throws -> ReLUNetwork {
        guard s.factors.map(\.count) == hiddenSizes else {
            throw NetworkError.shape("scalings have sizes \(s.factors.map(\.count)), hidden layers \(hiddenSizes)")
        }
        for (l, f) in s.factors.enumerated() {
            if let i = f.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
                throw NetworkError.notFinite("scaling[\(l)] (must be positive)", index: i)
            }
        }
        var out = self
        for l in 0..<layers.count {
            let rowScale = l < layers.count - 1 ? s.factors[l] : nil
            let colScale = l > 0 ? s.factors[l - 1] : nil
            out.layers[l].scale(rows: rowScale, columnsDividedBy: colScale)
        }
        return out
    }

    /// The network rescaled by factors drawn uniformly from `choices` (e.g. {1, 128, 4096}, as in the
    /// path-metrics paper's experiment), seeded; returns the network and the scalings used.
    public func randomlyRescaled(choices: [Double], seed: UInt64) -> (network: ReLUNetwork, scalings: NeuronScalings) {
        precondition(!choices.isEmpty && choices.allSatisfy { $0 > 0 && $0.isFinite }, "choices must be positive")
        var rng = SeededGenerator(seed: seed)
        let s = NeuronScalings(factors: hiddenSizes.map { n in
            (0..<n).map { _ in choices[Int(rng.next() % UInt64(choices.count))] }
        })
        return (try! applyingScalings(s), s)
    }

    /// A canonical representative of the rescaling orbit: layer by layer, each hidden neuron's incoming row and
    /// bias are scaled to unit ℓ² norm and the factor is pushed into the next layer (neurons whose incoming
    /// parameters are all zero are left alone). Two networks that differ by a positive rescaling have the same
    /// normal form (up to rounding). Returns the network and the scalings applied.
    ///
    /// - Complexity: O(parameters).
    public func normalForm() -> (network: ReLUNetwork, scalings: NeuronScalings) {
        var out = self
        var factors: [[Double]] = []
        for l in 0..<(layers.count - 1) {
            let layer = out.layers[l]
            var f = [Double](repeating: 1, count: layer.outputs)
            for i in 0..<layer.outputs {
                var s = layer.bias[i] * layer.bias[i]
                for k in 0..<layer.inputs { let w = layer.weight[i * layer.inputs + k]; s += w * w }
                if s > 0 { f[i] = 1 / s.squareRoot() }
            }
            out.layers[l].scale(rows: f, columnsDividedBy: nil)
            out.layers[l + 1].scale(rows: nil, columnsDividedBy: f)
            factors.append(f)
        }
        return (out, NeuronScalings(factors: factors))
    }
}

extension DenseLayer {
    /// Multiplies row o (and bias o) by `rows[o]` and divides column i by `columns[i]`.
    mutating func scale(rows: [Double]?, columnsDividedBy columns: [Double]?) {
        let n = inputs
        if let rows {
            for o in 0..<outputs {
                let r = rows[o]
                bias[o] *= r
                for i in 0..<n { weight[o * n + i] *= r }
            }
        }
        if let columns {
            for o in 0..<outputs { for i in 0..<n { weight[o * n + i] /= columns[i] } }
        }
    }
}
