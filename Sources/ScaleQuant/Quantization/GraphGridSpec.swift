/// The grids of a graph: one weight grid and one bias grid per conv2d/linear node.
///
/// Arrays are indexed like ``GraphNetwork/nodes``; entries of parameter-free nodes are `nil`.
public struct GraphNodeGrids: Sendable {
    /// Per node, the grid of its weights (`nil` for nodes without parameters).
    public var weights: [(any NumberGrid)?]
    /// Per node, the grid of its biases (`nil` for nodes without parameters).
    public var biases: [(any NumberGrid)?]
    /// Per node, the weight grid of each output channel when the grids are per-channel (then ``weights`` holds
    /// the unscaled element grid, for descriptions); `nil` for per-tensor nodes.
    public var channelWeights: [[any NumberGrid]?]

    /// Creates per-node grids (one entry per node; `nil` where a node has no parameters).
    public init(weights: [(any NumberGrid)?], biases: [(any NumberGrid)?], channelWeights: [[any NumberGrid]?]? = nil) {
        self.weights = weights
        self.biases = biases
        self.channelWeights = channelWeights ?? Array(repeating: nil, count: weights.count)
    }

    /// Whether some node has a grid per output channel.
    public var isPerChannel: Bool { channelWeights.contains { $0 != nil } }

    /// The weight grid of affine node n (precondition: it has one, per tensor).
    func weight(_ n: Int) -> any NumberGrid { weights[n]! }
    /// The grid of weight `index` of affine node n, per channel or per tensor (rows of `weight.count / channels`
    /// contiguous values, the layout of conv2d and linear weights).
    func weight(_ n: Int, index: Int, count: Int) -> any NumberGrid {
        guard let rows = channelWeights[n] else { return weights[n]! }
        return rows[index / (count / rows.count)]
    }
    /// The bias grid of affine node n (precondition: it has one).
    func bias(_ n: Int) -> any NumberGrid { biases[n]! }

    /// The grids of a perceptron's linear nodes, in order, from per-layer arrays (`nil` for the relu nodes).
    init(_ graph: GraphNetwork, perLayer grids: LayerGrids) {
        var w: [(any NumberGrid)?] = [], b: [(any NumberGrid)?] = []
        var l = 0
        for node in graph.nodes {
            if node.operation.isAffine { w.append(grids.weights[l]); b.append(grids.biases[l]); l += 1 } else {
                w.append(nil); b.append(nil)
            }
        }
        self.init(weights: w, biases: b)
    }

    /// The weights `w` of affine node n rounded to their grids (per channel or per tensor). O(w.count).
    func roundWeights(_ n: Int, _ w: [Double]) -> [Double] {
        guard let rows = channelWeights[n] else { return weight(n).round(w) }
        let width = w.count / max(rows.count, 1)
        return w.indices.map { rows[$0 / width].round(w[$0]) }
    }

    /// Whether both have the same grid for every node.
    func same(as other: GraphNodeGrids) -> Bool {
        func eq(_ a: (any NumberGrid)?, _ b: (any NumberGrid)?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case (let x?, let y?): return sameGrid(x, y)
            default: return false
            }
        }
        return zip(weights, other.weights).allSatisfy(eq) && zip(biases, other.biases).allSatisfy(eq)
    }
}

extension GraphParameter {
    /// Its grid.
    func grid(_ grids: GraphNodeGrids, in graph: GraphNetwork) -> any NumberGrid {
        isBias ? grids.bias(node) : grids.weight(node, index: index, count: graph.nodes[node].weight.count)
    }
}

/// How the weights and biases of a ``GraphNetwork`` are rounded: one grid pair per conv2d/linear node.
///
/// ``GridChoice/fixed(_:)`` puts every conv2d/linear node on the same grid; ``GridChoice/integerPerLayer(bits:)``
/// gives each such node its own integer step max|·|/q (q = 2^(bits−1) − 1) over the node's weights (biases: its
/// biases, or its weights if they are all zero) **of a reference graph**. A step taken from a maximum changes when
/// a channel is rescaled, so the reference is part of the method (for perceptrons too): RTN uses the input graph,
/// CLE the equalized graph, cd the rescaling-invariant ``GraphNetwork/normalForm()`` and, as a second choice, the
/// equalized normal form.
public struct GraphGridSpec: Sendable {
    /// Weight grids.
    public var weights: GridChoice
    /// Bias grids (`nil`: the weight choice).
    public var biases: GridChoice?

    /// Creates a spec from the two choices.
    public init(weights: GridChoice, biases: GridChoice? = nil) {
        self.weights = weights
        self.biases = biases
    }

    /// The grids of a format name and an optional bias format name (``GridChoice/init(format:)``): `intN` gives
    /// per-node integer steps.
    ///
    /// - Throws: ``FormatError`` for unknown names or integer widths outside 2…53.
    public init(format: String, biasFormat: String? = nil) throws {
        self.init(weights: try GridChoice(format: format), biases: try biasFormat.map { try GridChoice(format: $0) })
    }

    /// The same grids for every node (the bias grid defaults to the weight grid).
    public static func uniform(weight: any NumberGrid, bias: (any NumberGrid)? = nil) -> GraphGridSpec {
        GraphGridSpec(weights: .fixed(weight), biases: bias.map { .fixed($0) })
    }

    /// Integer grids with per-node steps for weights and biases.
    public static func integerPerNode(bits: Int, biasBits: Int? = nil) -> GraphGridSpec {
        GraphGridSpec(weights: .integerPerLayer(bits: bits), biases: .integerPerLayer(bits: biasBits ?? bits))
    }

    /// Concrete per-node grids for `reference` (steps of integer choices from its parameters).
    ///
    /// - Complexity: O(parameters).
    /// - Throws: ``FormatError`` for integer widths outside 2…53.
    public func resolve(for reference: GraphNetwork) throws -> GraphNodeGrids {
        func q(_ bits: Int) throws -> Double {
            guard (2...53).contains(bits) else { throw FormatError.invalid("integer grids need 2…53 bits, got \(bits)") }
            return Double((1 << (bits - 1)) - 1)
        }
        func amax(_ v: ArraySlice<Double>) -> Double { v.reduce(0) { max($0, abs($1)) } }
        func grids(_ choice: GridChoice, bias: Bool) throws -> [(any NumberGrid)?] {
            try reference.nodes.map { node -> (any NumberGrid)? in
                guard node.operation.isAffine else { return nil }
                var m = amax((bias ? node.bias : node.weight)[...])
                if m == 0 { m = amax(node.weight[...]) }
                switch choice.perTensor {
                case .fixed(let g):
                    return g
                case .integerPerLayer(let bits):
                    let levels = try q(bits)
                    return try IntegerGrid(bits: bits, step: m > 0 ? m / levels : 1)
                case .scaledPerLayer(let g):
                    return try ScaledGrid(base: g, scale: ScaledGrid.absmaxScale(m, base: g))
                case .integerPerChannel, .scaledPerChannel:
                    preconditionFailure("perTensor is never per-channel")
                }
            }
        }
        var channels: [[any NumberGrid]?] = Array(repeating: nil, count: reference.nodes.count)
        if weights.isPerChannel {
            for (n, node) in reference.nodes.enumerated() where node.operation.isAffine {
                let rows = node.operation.affineOutputs, width = node.weight.count / max(rows, 1)
                channels[n] = try (0..<rows).map { r -> any NumberGrid in
                    let m = amax(node.weight[(r * width)..<((r + 1) * width)])
                    switch weights {
                    case .integerPerChannel(let bits):
                        let levels = try q(bits)
                        var step = m > 0 ? Float(m / levels) : 1
                        if Double(step) * levels < m { step = step.nextUp }
                        return try IntegerGrid(bits: bits, step: Double(step))
                    case .scaledPerChannel(let g):
                        return try ScaledGrid(base: g, scale: ScaledGrid.absmaxScale(m, base: g))
                    default:
                        preconditionFailure("per-channel choices only")
                    }
                }
            }
        }
        return GraphNodeGrids(weights: try grids(weights, bias: false),
                              biases: try grids(biases ?? weights.perTensor, bias: true), channelWeights: channels)
    }
}
