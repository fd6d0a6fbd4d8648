/// A ReLU network that is a directed acyclic graph of convolutions, dense layers, ReLUs, max/average pooling,
/// flatten, residual additions and frozen batch normalization (docs/Theory.md §4; the class of networks of
/// A. Gonon et al., *A path-norm toolkit for modern networks*, arXiv 2310.01225).
///
/// A value type. Nodes are stored in topological order; each reads the graph input (named `input`) or earlier
/// nodes, and the last node is the output (its value is the network output, e.g. logits). Values are numbered:
/// value 0 is the graph input, value k + 1 the output of node k. Activations of a batch are NCHW, flattened
/// contiguous (`[N, C, H, W]` or `[N, F]`).
public struct GraphNetwork: Sendable, Equatable {
    /// The per-sample input shape, `[C, H, W]` or `[F]`.
    public let inputShape: [Int]
    /// The nodes in topological order; the last one is the output.
    public internal(set) var nodes: [GraphNode]
    /// For each node, the value indices it reads (0: the graph input, k + 1: node k), in the order of its inputs.
    public let sourceValues: [[Int]]

    /// Creates a graph, validating names, references, shapes and parameters.
    ///
    /// - Parameters:
    ///   - inputShape: `[C, H, W]` or `[F]`, positive.
    ///   - nodes: in topological order (every input names `input` or an earlier node).
    ///   - output: the output node's name; it must be the last node (default: the last node).
    /// - Throws: ``GraphError`` naming the node and the problem: unknown kind parameters, unknown or forward
    ///   references (nodes out of order or a cycle), wrong input counts, shape mismatches (including a declared
    ///   output shape that differs from the inferred one), NaN/Inf parameters, unsupported geometry, and nodes
    ///   whose output nothing reads.
    /// - Complexity: O(nodes + parameters).
    public init(inputShape: [Int], nodes: [GraphNode], output: String? = nil) throws {
        guard inputShape.count == 1 || inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }),
              let inputCount = NDArray.elementCount(of: inputShape), inputCount <= GraphNetwork.maxValueSize else {
            throw GraphError.invalidGraph("input shape \(inputShape) must be [C, H, W] or [F] with positive sizes "
                                          + "and at most \(GraphNetwork.maxValueSize) elements")
        }
        guard !nodes.isEmpty else { throw GraphError.invalidGraph("a graph needs at least one node") }
        var index: [String: Int] = ["input": 0]
        let allNames = Set(nodes.map(\.name))
        var shapes = [inputShape]
        var sources: [[Int]] = []
        var checked = nodes
        for (k, node) in nodes.enumerated() {
            guard !node.name.isEmpty, node.name != "input" else {
                throw GraphError.invalidNode(node: node.name, reason: "the name must be non-empty and not 'input'")
            }
            guard index[node.name] == nil else {
                throw GraphError.invalidNode(node: node.name, reason: "the name is used by another node")
            }
            let expected = node.operation == .add ? 2 : 1
            guard node.inputs.count == expected else {
                throw GraphError.invalidNode(node: node.name, reason: "\(node.operation.kind) takes \(expected) "
                                             + "input(s), got \(node.inputs.count)")
            }
            var src: [Int] = []
            for name in node.inputs {
                if let v = index[name] { src.append(v); continue }
                if name == node.name || allNames.contains(name) {
                    throw GraphError.invalidNode(node: node.name, reason: "reads '\(name)', which is not defined "
                                                 + "before it: nodes must be in topological order (a cycle or a "
                                                 + "forward reference)")
                }
                throw GraphError.invalidNode(node: node.name, reason: "unknown input '\(name)'")
            }
            let shape = try GraphNetwork.validate(node, inputShapes: src.map { shapes[$0] })
            guard let count = NDArray.elementCount(of: shape), count <= GraphNetwork.maxValueSize else {
                throw GraphError.invalidNode(node: node.name, reason: "output shape \(shape) has more than "
                                             + "\(GraphNetwork.maxValueSize) elements per sample")
            }
            if !node.outputShape.isEmpty && node.outputShape != shape {
                throw GraphError.invalidNode(node: node.name, reason: "declared output shape \(node.outputShape) "
                                             + "differs from the computed \(shape)")
            }
            checked[k].outputShape = shape
            shapes.append(shape)
            sources.append(src)
            index[node.name] = k + 1
        }
        if let output, output != nodes[nodes.count - 1].name {
            throw GraphError.invalidGraph(index[output] == nil ? "output '\(output)' is not a node"
                                          : "output '\(output)' must be the last node (nodes after it are unused)")
        }
        var used = [Bool](repeating: false, count: nodes.count + 1)
        for s in sources { for v in s { used[v] = true } }
        if let k = (0..<(nodes.count - 1)).first(where: { !used[$0 + 1] }) {
            throw GraphError.invalidNode(node: nodes[k].name, reason: "its output is not read by any later node "
                                         + "(only the last node may be unused: it is the output)")
        }
        self.inputShape = inputShape
        self.nodes = checked
        self.sourceValues = sources
    }

    /// The largest number of elements a value may have per sample (2³⁰), so that sizes never overflow.
    public static let maxValueSize = 1 << 30

    /// The number of elements of one input sample.
    public var inputSize: Int { inputShape.reduce(1, *) }
    /// The per-sample output shape (the last node's).
    public var outputShape: [Int] { nodes[nodes.count - 1].outputShape }
    /// The number of elements of one output sample.
    public var outputSize: Int { outputShape.reduce(1, *) }
    /// The number of values (graph input and node outputs), nodes.count + 1.
    public var valueCount: Int { nodes.count + 1 }
    /// The per-sample shape of value v (0: input, k + 1: node k). Precondition: 0 ≤ v < valueCount.
    public func valueShape(_ v: Int) -> [Int] { v == 0 ? inputShape : nodes[v - 1].outputShape }
    /// The number of elements of value v.
    public func valueSize(_ v: Int) -> Int { valueShape(v).reduce(1, *) }
    /// The index of the node with this name, if any.
    public func nodeIndex(named name: String) -> Int? { nodes.firstIndex { $0.name == name } }
    /// The number of conv2d/linear weights and biases (batch-norm statistics not counted).
    public var parameterCount: Int { nodes.reduce(0) { $0 + $1.weight.count + $1.bias.count } }
    /// Whether some node is a batch normalization (fold it with ``foldingBatchNorm()`` before rescaling or path
    /// measures).
    public var hasBatchNorm: Bool {
        nodes.contains { if case .batchNorm2d = $0.operation { return true } else { return false } }
    }

    /// The graph with node n's weight and bias replaced (same sizes, finite values).
    ///
    /// - Throws: ``GraphError`` if n is not a conv2d/linear node, the sizes differ or a value is NaN/Inf.
    public func settingParameters(ofNode n: Int, weight: [Double], bias: [Double]) throws -> GraphNetwork {
        guard nodes.indices.contains(n), nodes[n].operation.isAffine else {
            throw GraphError.invalidArgument("node index \(n) is not a conv2d or linear node")
        }
        let node = nodes[n]
        guard weight.count == node.weight.count, bias.count == node.bias.count else {
            throw GraphError.invalidNode(node: node.name, reason: "new parameters have \(weight.count)+\(bias.count) "
                                         + "values, expected \(node.weight.count)+\(node.bias.count)")
        }
        try checkFinite(weight, node: node.name, tensor: "weight")
        try checkFinite(bias, node: node.name, tensor: "bias")
        var out = self
        out.nodes[n].weight = weight
        out.nodes[n].bias = bias
        return out
    }

    /// The same graph with `f` applied to every conv2d/linear weight and bias (other parameters untouched).
    func mapped(_ f: (Double) -> Double) -> GraphNetwork {
        var out = self
        for k in out.nodes.indices where out.nodes[k].operation.isAffine {
            out.nodes[k].weight = out.nodes[k].weight.map(f)
            out.nodes[k].bias = out.nodes[k].bias.map(f)
        }
        return out
    }

    /// Conv2d/linear parameters of two graphs of the same structure combined entrywise (e.g. w ⊙ w').
    func combined(with other: GraphNetwork, _ f: (Double, Double) -> Double) -> GraphNetwork {
        var out = self
        for k in out.nodes.indices where out.nodes[k].operation.isAffine {
            out.nodes[k].weight = zip(nodes[k].weight, other.nodes[k].weight).map(f)
            out.nodes[k].bias = zip(nodes[k].bias, other.nodes[k].bias).map(f)
        }
        return out
    }

    /// Throws unless `other` has the same input shape, operations (geometry), wiring and shapes.
    func requireSameStructure(_ other: GraphNetwork) throws {
        guard inputShape == other.inputShape else {
            throw GraphError.mismatch("input shapes \(inputShape) and \(other.inputShape)")
        }
        guard nodes.count == other.nodes.count, sourceValues == other.sourceValues else {
            throw GraphError.mismatch("different numbers of nodes or wiring")
        }
        for (a, b) in zip(nodes, other.nodes) {
            let same: Bool
            switch (a.operation, b.operation) {
            case (.batchNorm2d, .batchNorm2d): same = true
            default: same = a.operation == b.operation
            }
            guard same, a.outputShape == b.outputShape, a.weight.count == b.weight.count,
                  a.bias.count == b.bias.count else {
                throw GraphError.mismatch("node '\(a.name)' (\(a.operation.kind)) vs '\(b.name)' (\(b.operation.kind))")
            }
        }
    }

    /// Throws ``GraphError/unsupported(_:)`` if the graph still has batch normalization.
    func requireNoBatchNorm(_ what: String) throws {
        if let bn = nodes.first(where: { if case .batchNorm2d = $0.operation { return true } else { return false } }) {
            throw GraphError.unsupported("\(what) needs a graph without batch normalization (node '\(bn.name)'); "
                                         + "call foldingBatchNorm() first")
        }
    }
}

/// Throws ``GraphError/invalidNode(node:reason:)`` naming the first NaN or infinite value.
func checkFinite(_ values: [Double], node: String, tensor: String) throws {
    if let i = values.firstIndex(where: { !$0.isFinite }) {
        throw GraphError.invalidNode(node: node, reason: "\(tensor)[\(i)] is NaN or infinite")
    }
}
