/// The calibration pass of the layer-wise methods (GPTQ, bias correction): the nodes are evaluated in order on a
/// calibration batch, and each conv2d/linear node may be changed just before it is evaluated, from the values its
/// input takes in the graph changed so far (the sequential scheme of GPTQ and AdaRound: later layers see, and so
/// correct for, the errors of earlier ones).
///
/// One forward pass in all (each node is evaluated once, after its change), plus the reference graph's pass when
/// asked for; values are released after their last reader.
enum LayerwisePass {
    /// What the change of one node sees.
    struct Step {
        /// The node's index.
        var node: Int
        /// Its input on the batch, in the graph changed so far (`samples × size`).
        var input: [Double]
        /// Its output on the batch in the reference graph, on the reference's own inputs (when a reference is
        /// given).
        var referenceOutput: [Double]?
    }

    /// `graph` after `change` has been called for every conv2d/linear node in order (it may replace that node's
    /// parameters in the graph it is given).
    ///
    /// - Parameters:
    ///   - reference: a graph of the same structure whose node outputs the steps see (e.g. the float network).
    /// - Throws: what `change` throws; ``GraphError/invalidArgument(_:)`` for a batch of the wrong size.
    static func run(_ graph: GraphNetwork, inputs: [Double], samples: Int, reference: GraphNetwork? = nil,
                    _ change: (Step, inout GraphNetwork) throws -> Void) throws -> GraphNetwork {
        guard samples > 0, inputs.count == samples * graph.inputSize else {
            throw GraphError.invalidArgument("calibration data has \(inputs.count) values for \(samples) samples; the "
                                             + "graph has \(graph.inputSize) inputs per sample")
        }
        var g = graph
        var values = [[Double]](repeating: [], count: graph.valueCount)
        var refValues = [[Double]](repeating: [], count: reference == nil ? 0 : graph.valueCount)
        var lastUse = [Int](repeating: -1, count: graph.valueCount)
        for (k, s) in graph.sourceValues.enumerated() { for v in s { lastUse[v] = k } }
        values[0] = inputs
        if reference != nil { refValues[0] = inputs }
        for k in graph.nodes.indices {
            let ref = reference.map { $0.nodeOutput(k, values: refValues, samples: samples) }
            if graph.nodes[k].operation.isAffine {
                try change(Step(node: k, input: values[graph.sourceValues[k][0]], referenceOutput: ref), &g)
            }
            values[k + 1] = g.nodeOutput(k, values: values, samples: samples)
            if let ref { refValues[k + 1] = ref }
            for v in Set(graph.sourceValues[k]) where lastUse[v] == k {
                values[v] = []
                if reference != nil { refValues[v] = [] }
            }
        }
        return g
    }

    /// Per output channel, the mean of node `k`'s output over the samples and (for conv2d) the positions.
    /// O(output size).
    static func channelMeans(_ output: [Double], node: GraphNode, samples: Int) -> [Double] {
        let channels = node.operation.affineOutputs
        let spatial = output.count / max(samples * channels, 1)
        var sums = [Double](repeating: 0, count: channels)
        for s in 0..<samples {
            for c in 0..<channels {
                let base = (s * channels + c) * spatial
                var t = 0.0
                for i in base..<(base + spatial) { t += output[i] }
                sums[c] += t
            }
        }
        let count = Double(samples * spatial)
        return sums.map { $0 / count }
    }

    /// The second moments of the inputs of conv2d/linear node `node`, per channel group: for each group, the
    /// mean over samples and output positions of z zᵀ, z = (the input values one output of the group reads, in
    /// weight order, then 1 for the bias), a (C/groups·kh·kw + 1)² matrix, row-major (linear: one group of
    /// in + 1). Zero padding reads 0. Samples are split between the threads, each with its own accumulator.
    ///
    /// - Complexity: O(samples · positions · groups · c²) for c = C/groups·kh·kw + 1.
    static func inputMoments(_ node: GraphNode, inputShape: [Int], input x: [Double], samples: Int) -> [[Double]] {
        let groups: Int, cols: Int, positions: Int
        switch node.operation {
        case .conv2d(let geo):
            groups = geo.groups
            cols = geo.inPerGroup * geo.kernelArea + 1
            positions = node.outputShape[1] * node.outputShape[2]
        case .linear(let fin, _):
            groups = 1; cols = fin + 1; positions = 1
        default:
            return []
        }
        let inSize = inputShape.reduce(1, *)
        let per = (samples + 7) / 8, chunks = (samples + per - 1) / per
        var partial = [[Double]](repeating: [], count: chunks)
        partial.withUnsafeMutableBufferPointer { pb in
            let box = UncheckedBox(pb)
            parallelFor(chunks) { t in
                var acc = [Double](repeating: 0, count: groups * cols * cols)
                var z = [Double](repeating: 0, count: cols)
                for s in (t * per)..<min(samples, (t + 1) * per) {
                    for g in 0..<groups {
                        for p in 0..<positions {
                            patch(node, inputShape, x, sample: s * inSize, group: g, position: p, into: &z)
                            let base = g * cols * cols
                            for i in 0..<cols where z[i] != 0 {
                                let zi = z[i], row = base + i * cols
                                for j in i..<cols { acc[row + j] += zi * z[j] }
                            }
                        }
                    }
                }
                box.value[t] = acc
            }
        }
        let count = Double(samples * positions)
        return (0..<groups).map { g in
            var h = [Double](repeating: 0, count: cols * cols)
            for acc in partial where !acc.isEmpty {
                for i in 0..<cols { for j in i..<cols { h[i * cols + j] += acc[g * cols * cols + i * cols + j] } }
            }
            for i in 0..<cols {
                for j in i..<cols { h[i * cols + j] /= count; h[j * cols + i] = h[i * cols + j] }
            }
            return h
        }
    }

    /// The values output `position` of `group` reads (weight order: input channel, kernel row, kernel column), then
    /// 1. O(c).
    private static func patch(_ node: GraphNode, _ shape: [Int], _ x: [Double], sample base: Int, group: Int,
                              position: Int, into z: inout [Double]) {
        switch node.operation {
        case .linear(let fin, _):
            for i in 0..<fin { z[i] = x[base + i] }
            z[fin] = 1
        case .conv2d(let geo):
            let h = shape[1], w = shape[2], ow = node.outputShape[2]
            let oy = position / ow, ox = position % ow
            var i = 0
            for ci in 0..<geo.inPerGroup {
                let channel = base + (group * geo.inPerGroup + ci) * h * w
                for u in 0..<geo.kernelHeight {
                    let y = oy * geo.strideHeight - geo.paddingHeight + u
                    for v in 0..<geo.kernelWidth {
                        let xx = ox * geo.strideWidth - geo.paddingWidth + v
                        z[i] = (y >= 0 && y < h && xx >= 0 && xx < w) ? x[channel + y * w + xx] : 0
                        i += 1
                    }
                }
            }
            z[i] = 1
        default:
            break
        }
    }
}
