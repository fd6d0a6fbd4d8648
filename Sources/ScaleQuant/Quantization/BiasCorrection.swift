/// Bias correction (M. Nagel et al., *Data-free quantization through weight equalization and bias correction*,
/// arXiv 1906.04721, §4.2, in its empirical form, as AIMET applies it with data): the rounding of a layer's
/// weights shifts the mean of its outputs by E[Ŵx̂] − E[Wx]; folding the opposite shift into the bias removes it.
///
/// Node by node in order (``LayerwisePass``: each node sees the corrected nodes before it), for every output
/// channel c: b̂_c ← Q_b(b̂_c + μ_c − μ̂_c), μ_c the mean over the calibration samples and positions of channel c of
/// the float node on the float network's inputs, μ̂_c that of the quantized node on the quantized network's
/// inputs. The float network is first aligned to the quantized one (same function, the quantized one's channel
/// scales, ``GraphPathLifting/aligned(_:to:)``), so the means are comparable after rescaling methods. It
/// minimizes the squared mean of each channel's output error on the calibration data, up to the bias grid.
///
/// - Complexity: two forward passes on the calibration batch.
enum BiasCorrection {
    /// `quantized` with corrected biases (on `grids`' bias grids); `original` is the float graph (batch norm
    /// folded, same structure).
    ///
    /// - Throws: ``GraphError`` for graphs of different structure or calibration of the wrong size.
    static func corrected(_ quantized: GraphNetwork, original: GraphNetwork, grids: GraphNodeGrids,
                          calibration: [Double], samples: Int) throws -> GraphNetwork {
        try original.requireSameStructure(quantized)
        let reference = try GraphPathLifting.aligned(original, to: quantized)
        return try LayerwisePass.run(quantized, inputs: calibration, samples: samples,
                                     reference: reference) { step, g in
            let k = step.node, node = g.nodes[k]
            let mean = LayerwisePass.channelMeans(step.referenceOutput!, node: node, samples: samples)
            let output = g.nodeOutput(k, input: step.input, samples: samples)
            let current = LayerwisePass.channelMeans(output, node: node, samples: samples)
            let grid = grids.bias(k)
            for c in node.bias.indices { g.nodes[k].bias[c] = grid.round(node.bias[c] + mean[c] - current[c]) }
        }
    }
}
