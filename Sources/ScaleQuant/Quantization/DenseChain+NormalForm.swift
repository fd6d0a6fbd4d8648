/// Positive per-neuron scalings of a network's hidden layers: `factors[ℓ][i]` multiplies the incoming row and
/// bias of neuron i of hidden layer ℓ and divides its outgoing column (docs/Theory.md §4). The network function and the
/// path-lifting Φ are unchanged.
struct NeuronScalings: Sendable, Equatable {
    /// One array per hidden layer, one positive factor per neuron.
    var factors: [[Double]]

    /// Wraps the factors.
    init(factors: [[Double]]) { self.factors = factors }

    /// All factors 1 for this network.
    static func identity(for network: DenseChain) -> NeuronScalings {
        NeuronScalings(factors: network.hiddenSizes.map { [Double](repeating: 1, count: $0) })
    }
}

extension DenseChain {
    /// A canonical representative of the rescaling orbit: layer by layer, each hidden neuron's incoming row and
    /// bias are scaled to unit ℓ² norm and the factor is pushed into the next layer (neurons whose incoming
    /// parameters are all zero are left alone). Two networks that differ by a positive rescaling have the same
    /// normal form (up to rounding). Returns the network and the scalings applied.
    ///
    /// - Complexity: O(parameters).
    func normalForm() -> (network: DenseChain, scalings: NeuronScalings) {
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
