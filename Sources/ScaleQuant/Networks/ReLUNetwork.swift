/// One fully connected (affine) layer: `z = W·h + b` with `W` stored row-major, `outputs × inputs`.
///
/// The unit of rescaling in a ``ReLUNetwork`` is a hidden *neuron*: row i of a hidden layer together with its
/// bias, and column i of the following layer. A convolution would store the same data per *channel* (a filter
/// bank row and a column of the next filter bank), so the path-lifting and quantization code, which only ever
/// touches "the incoming parameters of unit i" and "the outgoing parameters of unit i", extends to it.
public struct DenseLayer: Sendable, Equatable {
    /// Weights, row-major `outputs × inputs`: `weight[o * inputs + i]` connects input i to output o.
    public var weight: [Double]
    /// One bias per output.
    public var bias: [Double]
    /// Number of inputs (columns of `W`).
    public let inputs: Int
    /// Number of outputs (rows of `W`).
    public let outputs: Int

    /// Creates a layer, checking sizes and finiteness.
    ///
    /// - Throws: ``NetworkError`` if `weight.count != outputs·inputs`, `bias.count != outputs`, a size is zero or
    ///   a value is NaN or infinite. An absent bias can be given as `nil` (zeros).
    public init(weight: [Double], bias: [Double]? = nil, inputs: Int, outputs: Int) throws {
        guard inputs > 0, outputs > 0 else { throw NetworkError.shape("layer has \(outputs)×\(inputs) weights") }
        guard weight.count == inputs * outputs else {
            throw NetworkError.shape("weight has \(weight.count) values, expected \(outputs)×\(inputs)")
        }
        let b = bias ?? [Double](repeating: 0, count: outputs)
        guard b.count == outputs else { throw NetworkError.shape("bias has \(b.count) values, expected \(outputs)") }
        if let i = weight.firstIndex(where: { !$0.isFinite }) { throw NetworkError.notFinite("weight", index: i) }
        if let i = b.firstIndex(where: { !$0.isFinite }) { throw NetworkError.notFinite("bias", index: i) }
        self.weight = weight
        self.bias = b
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Internal initializer without validation (sizes guaranteed by the caller).
    init(unchecked weight: [Double], bias: [Double], inputs: Int, outputs: Int) {
        self.weight = weight
        self.bias = bias
        self.inputs = inputs
        self.outputs = outputs
    }

    /// `W[o, i]`.
    @inlinable public subscript(o: Int, i: Int) -> Double {
        get { weight[o * inputs + i] }
        set { weight[o * inputs + i] = newValue }
    }

    /// Row o of `W` followed by `b[o]`: the incoming parameters of unit o. O(inputs).
    public func incoming(_ o: Int) -> [Double] {
        Array(weight[(o * inputs)..<((o + 1) * inputs)]) + [bias[o]]
    }

    /// Column i of `W`: the weights leaving input i. O(outputs).
    public func column(_ i: Int) -> [Double] {
        (0..<outputs).map { weight[$0 * inputs + i] }
    }

    /// The layer with `transform` applied to every weight and every bias.
    public func mapped(_ transform: (Double) -> Double) -> DenseLayer {
        DenseLayer(unchecked: weight.map(transform), bias: bias.map(transform), inputs: inputs, outputs: outputs)
    }
}

/// Errors building, loading or processing a network.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    /// Sizes that do not fit together.
    case shape(String)
    /// A NaN or infinite parameter.
    case notFinite(String, index: Int)
    /// Tensor names that cannot be mapped to layers.
    case naming(String)
    /// A method that does not apply to this network.
    case unsupported(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .shape(let s): return "shape mismatch: \(s)"
        case .notFinite(let n, let i): return "\(n)[\(i)] is NaN or infinite"
        case .naming(let s): return s
        case .unsupported(let s): return s
        }
    }
}

/// A feed-forward ReLU network (multilayer perceptron): h₀ = x, h_ℓ = ReLU(W_ℓ h_{ℓ−1} + b_ℓ) for the hidden
/// layers and an identity output layer `W_L h_{L−1} + b_L` (docs/Theory.md §4).
///
/// It is a value type. Positive rescalings of hidden neurons (``applyingScalings(_:)``) leave the function and the
/// path-lifting Φ(θ) unchanged (A. Gonon et al., arXiv 2310.01225). Future layer kinds (convolution, pooling,
/// residual sums) would enter as further layer cases whose rescaling unit is the channel.
public struct ReLUNetwork: Sendable, Equatable {
    /// The affine layers, first to last; a ReLU follows every layer except the last.
    public var layers: [DenseLayer]

    /// Creates a network, checking that the layer sizes chain.
    ///
    /// - Throws: ``NetworkError/shape(_:)`` if there is no layer or `layers[ℓ].inputs != layers[ℓ−1].outputs`.
    public init(layers: [DenseLayer]) throws {
        guard !layers.isEmpty else { throw NetworkError.shape("a network needs at least one layer") }
        for l in 1..<layers.count where layers[l].inputs != layers[l - 1].outputs {
            throw NetworkError.shape("layer \(l) has \(layers[l].inputs) inputs but layer \(l - 1) has "
                                     + "\(layers[l - 1].outputs) outputs")
        }
        self.layers = layers
    }

    init(unchecked layers: [DenseLayer]) { self.layers = layers }

    /// Input dimension.
    public var inputSize: Int { layers[0].inputs }
    /// Output dimension.
    public var outputSize: Int { layers[layers.count - 1].outputs }
    /// Sizes of the hidden layers (the outputs of every layer but the last).
    public var hiddenSizes: [Int] { layers.dropLast().map(\.outputs) }
    /// Number of hidden layers (L − 1).
    public var hiddenLayerCount: Int { layers.count - 1 }
    /// Total number of weights and biases.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weight.count + $1.bias.count } }
    /// Layer widths from input to output, e.g. `[64, 256, 10]`.
    public var widths: [Int] { [inputSize] + layers.map(\.outputs) }

    /// The same network with `transform` applied to every parameter.
    public func mapped(_ transform: (Double) -> Double) -> ReLUNetwork {
        ReLUNetwork(unchecked: layers.map { $0.mapped(transform) })
    }

    /// Parameters of two networks of the same architecture combined entrywise (e.g. `W ⊙ W'`).
    ///
    /// - Precondition: same widths.
    public func combined(with other: ReLUNetwork, _ f: (Double, Double) -> Double) -> ReLUNetwork {
        precondition(widths == other.widths, "networks have different architectures")
        return ReLUNetwork(unchecked: zip(layers, other.layers).map { a, b in
            DenseLayer(unchecked: zip(a.weight, b.weight).map(f), bias: zip(a.bias, b.bias).map(f),
                       inputs: a.inputs, outputs: a.outputs)
        })
    }

    /// A random network with He-normal weights (N(0, 2/fan_in)) and biases N(0, biasScale²), seeded.
    ///
    /// - Complexity: O(parameters).
    public static func random(widths: [Int], seed: UInt64, biasScale: Double = 0.1) -> ReLUNetwork {
        precondition(widths.count >= 2 && widths.allSatisfy { $0 > 0 }, "random(widths:): need ≥ 2 positive widths")
        var rng = SeededGenerator(seed: seed)
        var layers: [DenseLayer] = []
        for l in 1..<widths.count {
            let fanIn = widths[l - 1], n = widths[l]
            let s = (2.0 / Double(fanIn)).squareRoot()
            let w = rng.gaussians(fanIn * n).map { $0 * s }
            let b = rng.gaussians(n).map { $0 * biasScale }
            layers.append(DenseLayer(unchecked: w, bias: b, inputs: fanIn, outputs: n))
        }
        return ReLUNetwork(unchecked: layers)
    }
}
