extension GraphNetwork {
    /// The same function without batch normalization: each `batchnorm2d` (y = a·x + c per channel, a = γ/√(var+ε),
    /// c = β − a·mean) is folded into the conv2d or linear node before it, whose output channel o becomes
    /// weight[o, …]·a[o] and bias a[o]·(bias[o] − mean[o]) + β[o] (a bias is created if there was none). The
    /// folded node keeps its name; readers of the batch norm read it instead.
    ///
    /// - Complexity: O(parameters).
    /// - Throws: ``GraphError/unsupported(_:)`` if a batch norm does not directly follow a conv2d/linear node that
    ///   feeds nothing else.
    public func foldingBatchNorm() throws -> GraphNetwork {
        guard hasBatchNorm else { return self }
        var readers = [Int](repeating: 0, count: valueCount)
        for s in sourceValues { for v in s { readers[v] += 1 } }
        var folded = nodes
        var removed = Set<Int>()
        var rename: [String: String] = [:]
        for (k, node) in nodes.enumerated() {
            guard case .batchNorm2d(let b) = node.operation else { continue }
            let src = sourceValues[k][0]
            guard src > 0, nodes[src - 1].operation.isAffine else {
                throw GraphError.unsupported("cannot fold batchnorm2d '\(node.name)': its input '\(node.inputs[0])' "
                                             + "is not a conv2d or linear node")
            }
            let p = src - 1
            guard readers[src] == 1 else {
                throw GraphError.unsupported("cannot fold batchnorm2d '\(node.name)': '\(nodes[p].name)' also feeds "
                                             + "other nodes")
            }
            let (scale, _) = b.affine
            let outputs = nodes[p].bias.count, per = nodes[p].weight.count / outputs
            for o in 0..<outputs {
                for i in (o * per)..<((o + 1) * per) { folded[p].weight[i] *= scale[o] }
                folded[p].bias[o] = scale[o] * (folded[p].bias[o] - b.runningMean[o]) + b.beta[o]
            }
            folded[p].hasBias = true
            removed.insert(k)
            rename[node.name] = nodes[p].name
        }
        var kept: [GraphNode] = []
        for (k, var node) in folded.enumerated() where !removed.contains(k) {
            node.inputs = node.inputs.map { rename[$0] ?? $0 }
            kept.append(node)
        }
        return try GraphNetwork(inputShape: inputShape, nodes: kept)
    }
}
