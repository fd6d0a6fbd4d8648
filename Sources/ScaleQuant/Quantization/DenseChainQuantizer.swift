/// The methods of the quantizers (docs/Theory.md §4): ``GraphQuantizer`` runs each on any ``GraphNetwork`` where
/// it is defined; ``QuantizationMethodCatalog`` lists them with `data` for the CLI, C and Python.
public enum QuantizationMethod: String, CaseIterable, Sendable {
    /// Round-to-nearest of every parameter.
    case rtn
    /// Cross-layer equalization (Nagel et al., arXiv 1906.04721), then round-to-nearest.
    case cle
    /// Global minimum of the ℓ² path-metric, one hidden layer only (per-neuron optimal rank-one quantization).
    case exact
    /// Left-to-right: per neuron the cosine-optimal scaling, pushed forward; the last pair solved exactly.
    case leftToRight = "l2r"
    /// Exact coordinate descent on the ℓ² path-metric from the best of several rescaling-independent starts.
    case coordinateDescent = "cd"
}

/// Per-layer grids of a ``DenseChain``: one weight grid and one bias grid per layer.
typealias LayerGrids = (weights: [any NumberGrid], biases: [any NumberGrid])

/// What a dense-chain solver returns: the quantized chain and how it got there.
struct DenseChainResult {
    /// The quantized chain (every weight on its layer's weight grid, every bias on its bias grid).
    var network: DenseChain
    /// Per hidden neuron, the factor its incoming parameters were scaled by before rounding, relative to the input
    /// (CLE: the equalization factors; exact/l2r/cd/data: the least-squares fit of the quantized incoming
    /// parameters to the correspondingly rescaled original ones; RTN: 1).
    var scalings: NeuronScalings
    /// Coordinate-descent (or data-aware) sweeps run (0 for the other methods).
    var sweeps: Int
    /// ‖Φ(θ) − Φ(θ̂)‖₂ after each coordinate-descent sweep (the first entry is the start).
    var history: [Double]
    /// The per-layer grids used (integer grids: with the steps of the reference the method used).
    var grids: LayerGrids
}

extension GraphGridSpec {
    /// Per-layer grids of a chain: ``resolve(for:)`` on its graph, the entries of its linear nodes. O(P).
    func resolve(forChain reference: DenseChain) throws -> LayerGrids {
        let g = try resolve(for: reference.graph)
        let affine = g.weights.indices.filter { g.weights[$0] != nil }
        return (affine.map { g.weight($0) }, affine.map { g.bias($0) })
    }
}

extension DenseChain {
    /// ‖Φ(self) − Φ(other)‖₂², by the graph toolkit (``GraphPathLifting/squaredL2PathMetric(_:_:)``). O(P).
    func squaredPathDistance(to other: DenseChain) -> Double {
        // Two chains of one architecture are graphs of one structure without batch norm: nothing can throw.
        try! GraphPathLifting.squaredL2PathMetric(graph, other.graph)
    }

    /// `self` rescaled neuron by neuron to best match `other` in least squares
    /// (``GraphPathLifting/aligned(_:to:)``): the same Φ, at `other`'s scale. O(P).
    func aligned(to other: DenseChain) -> DenseChain {
        DenseChain(try! GraphPathLifting.aligned(graph, to: other.graph))!
    }
}

/// The solvers of ``GraphQuantizer`` for graphs that are multilayer perceptrons (``DenseChain``): per hidden neuron
/// the exact weighted rank-one step, a layer at a time (docs/Theory.md §4).
enum DenseChainQuantizer {
    /// Quantizes `network` with `method` on `grids` (see ``GraphQuantizer/quantize(_:method:grids:options:)``).
    ///
    /// - Complexity: RTN O(P) for P parameters; CLE O(P) per equalization sweep; exact and l2r one rank-one solve
    ///   per hidden neuron, O((m+n)·k·log) each; cd the same per sweep plus O(P) passes.
    /// - Throws: ``GraphError/unsupported(_:)`` for `exact` on more than one hidden layer; ``FormatError`` for
    ///   invalid grids; the rank-one solver's errors.
    static func quantize(_ network: DenseChain, method: QuantizationMethod, grids: GraphGridSpec,
                         options: GraphCoordinateDescentOptions) throws -> DenseChainResult {
        var scalings = NeuronScalings.identity(for: network)
        var quantized: DenseChain
        let used: LayerGrids
        var history: [Double] = []
        var sweeps = 0
        switch method {
        case .rtn:
            used = try grids.resolve(forChain: network)
            quantized = roundToNearest(network, used)
        case .cle:
            let (eq, s) = crossLayerEqualized(network)
            scalings = s
            used = try grids.resolve(forChain: eq)
            quantized = roundToNearest(eq, used)
        case .exact:
            guard network.hiddenLayerCount == 1 else {
                throw GraphError.unsupported("method 'exact' needs exactly one hidden layer (this network has "
                                             + "\(network.hiddenLayerCount)); use 'cd' (coordinate descent) instead")
            }
            used = try grids.resolve(forChain: network.normalForm().network)
            quantized = try leftToRight(network, used)
        case .leftToRight:
            used = try grids.resolve(forChain: network.normalForm().network)
            quantized = try leftToRight(network, used)
        case .coordinateDescent:
            let cd = try bestCoordinateDescent(network, grids: grids, options: options)
            quantized = cd.network
            used = cd.grids
            history = cd.history
            sweeps = cd.sweeps
        }
        if method != .rtn && method != .cle { scalings = fittedScalings(original: network, quantized: quantized) }
        return DenseChainResult(network: quantized, scalings: scalings, sweeps: sweeps, history: history, grids: used)
    }

    /// Every weight of layer ℓ rounded to `grids.weights[ℓ]`, every bias to `grids.biases[ℓ]`. O(P).
    static func roundToNearest(_ network: DenseChain, _ grids: LayerGrids) -> DenseChain {
        var out = network
        for l in 0..<network.layers.count {
            out.layers[l].weight = grids.weights[l].round(network.layers[l].weight)
            out.layers[l].bias = grids.biases[l].round(network.layers[l].bias)
        }
        return out
    }

    /// Per hidden neuron, the least-squares factor s with ŷ ≈ s·(incoming row of θ with columns divided by the
    /// previous layer's factors, and bias); 1 where undefined. O(P).
    static func fittedScalings(original: DenseChain, quantized: DenseChain) -> NeuronScalings {
        var factors: [[Double]] = []
        var previous = [Double](repeating: 1, count: original.inputSize)
        for l in 0..<(original.layers.count - 1) {
            let a = original.layers[l], q = quantized.layers[l]
            var f = [Double](repeating: 1, count: a.outputs)
            for i in 0..<a.outputs {
                var num = a.bias[i] * q.bias[i], den = a.bias[i] * a.bias[i]
                for k in 0..<a.inputs {
                    let t = a.weight[i * a.inputs + k] / previous[k]
                    num += t * q.weight[i * a.inputs + k]; den += t * t
                }
                if den > 0, num > 0 { f[i] = num / den }
            }
            factors.append(f)
            previous = f
        }
        return NeuronScalings(factors: factors)
    }
}
