extension GraphNetwork {
    /// The graph of a multilayer perceptron: input `[F]`, then for each layer ℓ a linear node named `2ℓ` and, except
    /// after the last layer, a ReLU node named `2ℓ+1` (the PyTorch `nn.Sequential` numbering, so saved tensors are
    /// `0.weight`, `0.bias`, `2.weight`, …). Same function, parameters and path-lifting as the MLP, so graph
    /// results can be cross-checked against ``PathLifting``.
    ///
    /// - Complexity: O(parameters).
    /// - Throws: ``GraphError`` if a parameter is NaN or infinite or the layer sizes do not chain (possible when
    ///   the MLP's public arrays were edited directly).
    public init(_ mlp: ReLUNetwork) throws {
        var nodes: [GraphNode] = []
        var last = "input"
        for (l, layer) in mlp.layers.enumerated() {
            let name = "\(2 * l)"
            nodes.append(.linear(name, input: last, weight: layer.weight, bias: layer.bias, inFeatures: layer.inputs,
                                 outFeatures: layer.outputs))
            last = name
            if l < mlp.layers.count - 1 {
                nodes.append(.relu("\(2 * l + 1)", input: last))
                last = "\(2 * l + 1)"
            }
        }
        self = try GraphNetwork(inputShape: [mlp.inputSize], nodes: nodes)
    }
}
