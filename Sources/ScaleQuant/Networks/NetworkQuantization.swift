/// The ways ``NetworkQuantizer`` can quantize a ``ReLUNetwork`` (docs/Theory.md §4).
public enum NetworkQuantizationMethod: String, CaseIterable, Sendable {
    /// Round-to-nearest of every parameter.
    case rtn
    /// Cross-layer equalization (Nagel et al., arXiv 1906.04721), then round-to-nearest.
    case cle
    /// Global minimum of the ℓ² path-metric, one hidden layer only (per-neuron optimal rank-one quantization).
    case exact
    /// Left-to-right: per neuron the cosine-optimal scaling, pushed forward; the last pair solved exactly.
    case leftToRight = "l2r"
    /// Exact coordinate descent on the ℓ² path-metric, started from the best of left-to-right, RTN of the
    /// max-normalized network and CLE's answer (see ``NetworkQuantizer``'s `bestCoordinateDescent`).
    case coordinateDescent = "cd"
}

/// The grids to quantize to: how weights and biases of each layer are rounded.
///
/// Integer grids with a per-layer step: a grid of fixed step is not changed by rescaling, but a step taken from
/// max|W_ℓ| is (rescaling one neuron changes the layer's maximum). So the reference network the steps come from
/// is part of the method: RTN uses the input network (what a practitioner does), CLE the equalized one, and the
/// rescaling-aware methods (exact, l2r, cd) the ``ReLUNetwork/normalForm()`` of the input, which is the same for
/// every rescaling of it, so their result stays independent of the input's scaling.
public struct NetworkGridSpec: Sendable {
    /// Weight grids.
    public var weights: GridChoice
    /// Bias grids (`nil`: the weight grids).
    public var biases: GridChoice?
    /// Explicit per-layer grids, overriding the choices when set.
    public var explicit: (weights: [any NumberGrid], biases: [any NumberGrid])?

    /// Creates a spec from the two choices.
    public init(weights: GridChoice, biases: GridChoice? = nil) {
        self.weights = weights; self.biases = biases; self.explicit = nil
    }

    /// The grids of a format name and an optional bias format name (``GridChoice/init(format:)``).
    ///
    /// - Throws: ``FormatError`` for unknown names or integer widths outside 2…53.
    public init(format: String, biasFormat: String? = nil) throws {
        self.init(weights: try GridChoice(format: format), biases: try biasFormat.map { try GridChoice(format: $0) })
    }

    /// The same grids for every layer (the bias grid defaults to the weight grid).
    public static func uniform(weight: any NumberGrid, bias: (any NumberGrid)?) -> NetworkGridSpec {
        NetworkGridSpec(weights: .fixed(weight), biases: bias.map { .fixed($0) })
    }

    /// Integer grids with per-layer steps for weights and biases.
    public static func integerPerLayer(bits: Int, biasBits: Int) -> NetworkGridSpec {
        NetworkGridSpec(weights: .integerPerLayer(bits: bits), biases: .integerPerLayer(bits: biasBits))
    }

    /// One weight grid and one bias grid per layer.
    public static func perLayer(weights: [any NumberGrid], biases: [any NumberGrid]) -> NetworkGridSpec {
        var s = NetworkGridSpec(weights: .fixed(weights[0]))
        s.explicit = (weights, biases)
        return s
    }

    /// Concrete per-layer grids for `reference`.
    ///
    /// - Throws: ``FormatError`` for invalid integer widths, ``NetworkError`` for a wrong number of grids.
    public func resolve(for reference: ReLUNetwork) throws -> (weights: [any NumberGrid], biases: [any NumberGrid]) {
        let count = reference.layers.count
        if let (w, b) = explicit {
            guard w.count == count, b.count == count else {
                throw NetworkError.shape("\(w.count) weight grids and \(b.count) bias grids for \(count) layers")
            }
            return (w, b)
        }
        func grids(_ choice: GridChoice, _ values: (DenseLayer) -> [Double]) throws -> [any NumberGrid] {
            switch choice {
            case .fixed(let g): return Array(repeating: g, count: count)
            case .integerPerLayer(let bits):
                guard bits >= 2, bits <= 53 else { throw FormatError.invalid("integer grids need 2…53 bits, got \(bits)") }
                let q = Double((1 << (bits - 1)) - 1)
                return try reference.layers.map { layer -> any NumberGrid in
                    var m = values(layer).reduce(0) { max($0, abs($1)) }
                    if m == 0 { m = layer.weight.reduce(0) { max($0, abs($1)) } }
                    return try IntegerGrid(bits: bits, step: m > 0 ? m / q : 1)
                }
            }
        }
        return (try grids(weights, \.weight), try grids(biases ?? weights, \.bias))
    }
}

/// Options of coordinate descent.
public struct CoordinateDescentOptions: Sendable {
    /// Stop when a sweep improves ‖Φ(θ) − Φ(θ̂)‖² by less than this fraction.
    public var relativeTolerance: Double = 1e-12
    /// At most this many sweeps over all hidden neurons.
    public var maxSweeps: Int = 50
    /// Called after every single-neuron step with the current quantized network (a test hook; slow).
    public var afterNeuronStep: (@Sendable (ReLUNetwork) -> Void)? = nil
    /// Called before each descent with ‖Φ(θ) − Φ(start)‖² of its start (cd may descend from several grid choices,
    /// see ``NetworkQuantizer``; a test hook).
    public var beforeDescent: (@Sendable (Double) -> Void)? = nil
    /// Default options.
    public init() {}
}

/// A quantized network with the scalings used and its distance to the original.
public struct NetworkQuantizationResult: Sendable {
    /// The method that produced it.
    public var method: NetworkQuantizationMethod
    /// The quantized network (every weight on its layer's weight grid, every bias on its bias grid).
    public var network: ReLUNetwork
    /// Per hidden neuron, the factor its incoming parameters were scaled by before rounding, relative to the
    /// input network (CLE: the equalization factors; exact/l2r/cd: the least-squares fit of the quantized
    /// incoming parameters to the correspondingly rescaled original ones; RTN: 1).
    public var scalings: NeuronScalings
    /// ‖Φ(θ) − Φ(θ̂)‖₂.
    public var l2PathMetric: Double
    /// ‖Φ(θ) − Φ(θ̂)‖₂ / ‖Φ(θ)‖₂.
    public var relativeL2PathMetric: Double
    /// Coordinate-descent sweeps run (0 for the other methods).
    public var sweeps: Int
    /// ‖Φ(θ) − Φ(θ̂)‖₂ after each coordinate-descent sweep (the first entry is the start).
    public var history: [Double]
    /// The per-layer grids the network was rounded to (integer grids: with the steps of the reference network the
    /// method used).
    public var grids: (weights: [any NumberGrid], biases: [any NumberGrid])
}

/// Quantizes ReLU networks with the methods of ``NetworkQuantizationMethod`` (docs/Theory.md §4).
public enum NetworkQuantizer {
    /// Quantizes `network` with `method` on `grids`.
    ///
    /// - Complexity: RTN O(P) for P parameters; CLE O(P) per equalization sweep (≤ 100); exact and l2r one
    ///   rank-one solve per hidden neuron, O((m+n)·k·log) each; cd the same per sweep plus O(P) passes.
    /// - Throws: ``NetworkError/unsupported(_:)`` for `exact` on more than one hidden layer; ``FormatError``
    ///   for invalid grids.
    public static func quantize(_ network: ReLUNetwork, method: NetworkQuantizationMethod, grids: NetworkGridSpec,
                                options: CoordinateDescentOptions = .init()) throws -> NetworkQuantizationResult {
        var scalings = NeuronScalings.identity(for: network)
        var quantized: ReLUNetwork
        let used: (weights: [any NumberGrid], biases: [any NumberGrid])
        var history: [Double] = []
        var sweeps = 0
        switch method {
        case .rtn:
            used = try grids.resolve(for: network)
            quantized = roundToNearest(network, used)
        case .cle:
            let (eq, s) = crossLayerEqualized(network)
            scalings = s
            used = try grids.resolve(for: eq)
            quantized = roundToNearest(eq, used)
        case .exact:
            guard network.hiddenLayerCount == 1 else {
                throw NetworkError.unsupported("method 'exact' needs exactly one hidden layer (this network has "
                                               + "\(network.hiddenLayerCount)); use 'cd' (coordinate descent) instead")
            }
            used = try grids.resolve(for: network.normalForm().network)
            quantized = try leftToRight(network, used)
        case .leftToRight:
            used = try grids.resolve(for: network.normalForm().network)
            quantized = try leftToRight(network, used)
        case .coordinateDescent:
            let cd = try bestCoordinateDescent(network, grids: grids, options: options)
            quantized = cd.network
            used = cd.grids
            history = cd.history
            sweeps = cd.sweeps
        }
        if method != .rtn && method != .cle { scalings = fittedScalings(original: network, quantized: quantized) }
        let metric = PathLifting.l2PathMetric(network, quantized)
        let norm = PathLifting.pathNorm(network, q: 2)
        return NetworkQuantizationResult(method: method, network: quantized, scalings: scalings, l2PathMetric: metric,
                                         relativeL2PathMetric: norm > 0 ? metric / norm : 0, sweeps: sweeps,
                                         history: history, grids: used)
    }

    /// Every weight of layer ℓ rounded to `grids.weights[ℓ]`, every bias to `grids.biases[ℓ]`. O(P).
    public static func roundToNearest(_ network: ReLUNetwork,
                                      _ grids: (weights: [any NumberGrid], biases: [any NumberGrid])) -> ReLUNetwork {
        var out = network
        for l in 0..<network.layers.count {
            out.layers[l].weight = grids.weights[l].round(network.layers[l].weight)
            out.layers[l].bias = grids.biases[l].round(network.layers[l].bias)
        }
        return out
    }

    /// Per hidden neuron, the least-squares factor s with ŷ ≈ s·(incoming row of θ with columns divided by the
    /// previous layer's factors, and bias); 1 where undefined. O(P).
    static func fittedScalings(original: ReLUNetwork, quantized: ReLUNetwork) -> NeuronScalings {
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
