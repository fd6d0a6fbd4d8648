extension GPTQ {
    /// GPTQ of every conv2d/linear node of `graph` (batch norm folded), in order, each from the inputs it sees in
    /// the graph quantized so far (``LayerwisePass``): per channel group of a convolution the weights of its
    /// output channels are the rows (im2col: a column per input channel and kernel offset) and the bias the last
    /// column, on `grids` (per-tensor or per-channel).
    ///
    /// - Complexity: one forward pass on the calibration batch, plus per node ``LayerwisePass/inputMoments`` and
    ///   ``quantize(weights:rows:cols:hessian:rowGrids:lastColumnGrid:options:)`` per group.
    /// - Throws: ``GraphError/invalidArgument(_:)`` for a calibration batch of the wrong size.
    static func quantize(_ graph: GraphNetwork, grids: GraphNodeGrids, calibration: [Double], samples: Int,
                         options: GPTQOptions = .init()) throws -> GraphNetwork {
        try LayerwisePass.run(graph, inputs: calibration, samples: samples) { step, g in
            let k = step.node, node = g.nodes[k]
            let moments = LayerwisePass.inputMoments(node, inputShape: g.valueShape(g.sourceValues[k][0]),
                                                     input: step.input, samples: samples)
            let channels = node.operation.affineOutputs, width = node.weight.count / channels
            let perGroup = channels / moments.count, cols = width + 1
            var weight = node.weight, bias = node.bias
            for (group, h) in moments.enumerated() {
                let rows = Array((group * perGroup)..<((group + 1) * perGroup))
                var w = [Double](repeating: 0, count: rows.count * cols)
                for (i, o) in rows.enumerated() {
                    for j in 0..<width { w[i * cols + j] = weight[o * width + j] }
                    w[i * cols + width] = bias[o]
                }
                let rowGrids = rows.map { grids.weight(k, index: $0 * width, count: node.weight.count) }
                let q = quantize(weights: w, rows: rows.count, cols: cols, hessian: h, rowGrids: rowGrids,
                                 lastColumnGrid: grids.bias(k), options: options)
                for (i, o) in rows.enumerated() {
                    for j in 0..<width { weight[o * width + j] = q[i * cols + j] }
                    bias[o] = q[i * cols + width]
                }
            }
            g.nodes[k].weight = weight
            g.nodes[k].bias = bias
        }
    }
}
