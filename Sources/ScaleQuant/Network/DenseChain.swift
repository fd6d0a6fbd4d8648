/// One fully connected (affine) layer of a ``DenseChain``: `z = W·h + b` with `W` stored row-major,
/// `outputs × inputs` (a `linear` node of a ``GraphNetwork``, copied out for the dense-chain solvers).
///
/// The unit of rescaling is a hidden *neuron*: row i of a hidden layer together with its bias, and column i of
/// the following layer.
struct DenseLayer: Sendable, Equatable {
    /// Weights, row-major `outputs × inputs`: `weight[o * inputs + i]` connects input i to output o.
    var weight: [Double]
    /// One bias per output.
    var bias: [Double]
    /// Number of inputs (columns of `W`).
    let inputs: Int
    /// Number of outputs (rows of `W`).
    let outputs: Int

    /// A layer of known sizes (`weight.count == outputs·inputs`, `bias.count == outputs`: the caller's duty).
    init(unchecked weight: [Double], bias: [Double], inputs: Int, outputs: Int) {
        self.weight = weight
        self.bias = bias
        self.inputs = inputs
        self.outputs = outputs
    }

    /// `W[o, i]`.
    subscript(o: Int, i: Int) -> Double {
        get { weight[o * inputs + i] }
        set { weight[o * inputs + i] = newValue }
    }

    /// Row o of `W` followed by `b[o]`: the incoming parameters of unit o. O(inputs).
    func incoming(_ o: Int) -> [Double] {
        Array(weight[(o * inputs)..<((o + 1) * inputs)]) + [bias[o]]
    }

    /// Column i of `W`: the weights leaving input i. O(outputs).
    func column(_ i: Int) -> [Double] {
        (0..<outputs).map { weight[$0 * inputs + i] }
    }
}

/// The dense view of a ``GraphNetwork`` that is a multilayer perceptron: input `[F]`, then linear, relu, linear,
/// …, linear, each node reading the one before (docs/Theory.md §4). The quantizers hand such graphs to the
/// dense-chain solvers (``DenseChainQuantizer``), which exploit what a general graph lacks: every hidden neuron's
/// subproblem is a plain weighted rank-one problem (``RankOne/solveWeighted(a:c:b:d:gridX:gridY:keepY:parallel:)``,
/// with its F_p shortcut and pruning), a whole layer is one block of independent neurons, and the forward pass is
/// one blocked matrix product per layer. Results go back into the graph with ``GraphNetwork/replacingDenseLayers(_:)``.
struct DenseChain: Sendable, Equatable {
    /// The affine layers, first to last; a ReLU follows every layer except the last.
    var layers: [DenseLayer]

    init(unchecked layers: [DenseLayer]) { self.layers = layers }

    /// The dense view of `graph`, or `nil` when it is not a linear/relu chain ending in a linear node.
    /// O(parameters) (the weights are copied).
    init?(_ graph: GraphNetwork) {
        guard graph.inputShape.count == 1, graph.nodes.count % 2 == 1 else { return nil }
        var layers: [DenseLayer] = []
        for (k, node) in graph.nodes.enumerated() {
            guard graph.sourceValues[k] == [k] else { return nil }
            switch node.operation {
            case .linear(let inputs, let outputs) where k % 2 == 0:
                layers.append(DenseLayer(unchecked: node.weight, bias: node.bias, inputs: inputs, outputs: outputs))
            case .relu where k % 2 == 1:
                continue
            default:
                return nil
            }
        }
        self.layers = layers
    }

    /// Input dimension.
    var inputSize: Int { layers[0].inputs }
    /// Output dimension.
    var outputSize: Int { layers[layers.count - 1].outputs }
    /// Sizes of the hidden layers (the outputs of every layer but the last).
    var hiddenSizes: [Int] { layers.dropLast().map(\.outputs) }
    /// Number of hidden layers (L − 1).
    var hiddenLayerCount: Int { layers.count - 1 }
    /// Layer widths from input to output, e.g. `[64, 256, 10]`.
    var widths: [Int] { [inputSize] + layers.map(\.outputs) }

    /// The chain as a graph: a linear node named `2ℓ` per layer and a relu node `2ℓ+1` between layers (the PyTorch
    /// `nn.Sequential` numbering). O(parameters).
    var graph: GraphNetwork {
        // The layers come from a valid graph or from the solvers, which keep every size and finite value.
        try! GraphNetwork.perceptron(widths: widths, weights: layers.map(\.weight), biases: layers.map(\.bias))
    }
}

extension GraphNetwork {
    /// A multilayer perceptron: input `[widths[0]]`, then for each layer ℓ a linear node named `2ℓ` with
    /// `weights[ℓ]` (row-major `widths[ℓ+1] × widths[ℓ]`, PyTorch's `Linear.weight`) and `biases[ℓ]` (`nil`:
    /// zeros), and a ReLU node `2ℓ+1` after every layer but the last (the `nn.Sequential` numbering, so tensors
    /// save as `0.weight`, `0.bias`, `2.weight`, …).
    ///
    /// - Complexity: O(parameters).
    /// - Throws: ``GraphError`` for sizes that do not chain or NaN/Inf parameters, naming the layer's node.
    public static func perceptron(widths: [Int], weights: [[Double]], biases: [[Double]?]) throws -> GraphNetwork {
        guard widths.count >= 2, widths.allSatisfy({ $0 > 0 }) else {
            throw GraphError.invalidGraph("a perceptron needs at least two positive widths, got \(widths)")
        }
        let count = widths.count - 1
        guard weights.count == count, biases.count == count else {
            throw GraphError.invalidGraph("\(weights.count) weight and \(biases.count) bias tensors for \(count) layers")
        }
        var nodes: [GraphNode] = []
        var last = "input"
        for l in 0..<count {
            let name = "\(2 * l)", n = widths[l], m = widths[l + 1]
            guard weights[l].count == n * m else {
                throw GraphError.invalidNode(node: name, reason: "weight has \(weights[l].count) values, expected "
                                             + "\(m)×\(n)")
            }
            let bias = biases[l] ?? [Double](repeating: 0, count: m)
            guard bias.count == m else {
                throw GraphError.invalidNode(node: name, reason: "bias has \(bias.count) values, expected \(m)")
            }
            nodes.append(.linear(name, input: last, weight: weights[l], bias: bias, inFeatures: n, outFeatures: m))
            last = name
            if l < count - 1 {
                nodes.append(.relu("\(2 * l + 1)", input: last))
                last = "\(2 * l + 1)"
            }
        }
        return try GraphNetwork(inputShape: [widths[0]], nodes: nodes)
    }

    /// A random perceptron (``perceptron(widths:weights:biases:)``) with He-normal weights (N(0, 2/fan_in)) and
    /// biases N(0, biasScale²), seeded: the same generator draws, layer by layer, the weights then the biases.
    ///
    /// - Complexity: O(parameters).
    public static func randomPerceptron(widths: [Int], seed: UInt64, biasScale: Double = 0.1) -> GraphNetwork {
        precondition(widths.count >= 2 && widths.allSatisfy { $0 > 0 }, "randomPerceptron: need ≥ 2 positive widths")
        var rng = SeededGenerator(seed: seed)
        var layers: [DenseLayer] = []
        for l in 1..<widths.count {
            let fanIn = widths[l - 1], n = widths[l]
            let s = (2.0 / Double(fanIn)).squareRoot()
            let w = rng.gaussians(fanIn * n).map { $0 * s }
            let b = rng.gaussians(n).map { $0 * biasScale }
            layers.append(DenseLayer(unchecked: w, bias: b, inputs: fanIn, outputs: n))
        }
        return DenseChain(unchecked: layers).graph
    }

    /// The widths (input, then each linear node's outputs) when the graph is a multilayer perceptron (a
    /// linear/relu chain ending in a linear node), else `nil`. O(parameters).
    public var perceptronWidths: [Int]? { DenseChain(self)?.widths }

    /// The graph with the linear nodes' parameters replaced by those of `chain`, in order (same sizes). O(P).
    func replacingDenseLayers(_ chain: DenseChain) -> GraphNetwork {
        var out = self
        var l = 0
        for k in out.nodes.indices where out.nodes[k].operation.isAffine {
            out.nodes[k].weight = chain.layers[l].weight
            out.nodes[k].bias = chain.layers[l].bias
            l += 1
        }
        return out
    }
}
