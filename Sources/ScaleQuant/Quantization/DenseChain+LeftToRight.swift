extension DenseChainQuantizer {
    /// Left-to-right quantization (the network analogue of hal-04125381 Algorithm 7.3; docs/Theory.md §4).
    ///
    /// For each hidden layer but the last, every neuron's incoming row and bias y become ŷ = Q(λy) with λ maximizing
    /// cos(y, ŷ) (``RankOne/quantizeKeepingY(x:grid:)``), and μ = y·ŷ/‖ŷ‖² is pushed into the neuron's outgoing
    /// column of the (still unquantized) next layer, so the function is preserved up to the rounding of y. The last
    /// hidden layer's neurons are then solved as exact rank-one pairs (incoming row and bias vs. outgoing column,
    /// ``RankOne/quantize(x:y:grid:gridY:)``), and the output bias is rounded to nearest. With one hidden layer this
    /// is the exact global minimum of the ℓ² path-metric (docs/Theory.md §4: per-neuron blocks of Φ are disjoint).
    /// Invariant under rescaling of the input (the family {Q(λy)} does not depend on y's scale).
    ///
    /// - Complexity: one rank-one solve per hidden neuron; neurons of a layer run in parallel.
    static func leftToRight(_ network: DenseChain,
                            _ grids: LayerGrids) throws -> DenseChain {
        var work = network
        var q = network
        let L = network.layers.count
        for l in 0..<(L - 1) {
            let layer = work.layers[l], n = layer.inputs
            let last = l == L - 2
            let gW = grids.weights[l], gB = grids.biases[l], gX = grids.weights[l + 1]
            var rows = [[Double]](repeating: [], count: layer.outputs)
            var columns = [[Double]](repeating: [], count: layer.outputs)
            var mus = [Double](repeating: 1, count: layer.outputs)
            let next = work.layers[l + 1]
            var failures = [(any Error)?](repeating: nil, count: layer.outputs)
            failures.withUnsafeMutableBufferPointer { fp in
            rows.withUnsafeMutableBufferPointer { rp in
                columns.withUnsafeMutableBufferPointer { cp in
                    mus.withUnsafeMutableBufferPointer { mp in
                        let r = UncheckedBox(rp), c = UncheckedBox(cp), m = UncheckedBox(mp)
                        let err = UncheckedBox(fp)
                        parallelFor(layer.outputs) { i in
                            do {
                                let y = layer.incoming(i)
                                if last {
                                    let problem = NeuronPairProblem(a: next.column(i), c: [Double](repeating: 1, count: next.outputs),
                                                                    b: y, d: [Double](repeating: 1, count: y.count))
                                    let s = try problem.solve(gridX: gX, gridY: gW, biasGrid: gB, current: nil)
                                    r.value[i] = s.y; c.value[i] = s.x
                                } else {
                                    var (yh, lambda, _, _) = try RankOne.quantizeKeepingY(x: y, grid: gW, parallel: false)
                                    if !sameGrid(gW, gB) {
                                        // Bias on its own grid: round ν·b with ν the least-squares fit ŷ_w ≈ ν·y_w
                                        // (determined by ŷ_w, unlike λ, which is any point of its piece).
                                        var num = 0.0, den = 0.0
                                        for k in 0..<n { num += y[k] * yh[k]; den += y[k] * y[k] }
                                        yh[n] = gB.round((den > 0 && num > 0 ? num / den : lambda) * y[n])
                                    }
                                    yh = canonicalVector(yh, gW, lastGrid: gB)
                                    var num = 0.0, den = 0.0
                                    for k in 0...n { num += y[k] * yh[k]; den += yh[k] * yh[k] }
                                    r.value[i] = yh
                                    m.value[i] = den > 0 ? num / den : 1
                                }
                            } catch {
                                err.value[i] = error
                            }
                        }
                    }
                }
            }
            }
            if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
            for i in 0..<layer.outputs {
                for k in 0..<n { q.layers[l].weight[i * n + k] = rows[i][k] }
                q.layers[l].bias[i] = rows[i][n]
                if last {
                    for o in 0..<next.outputs { q.layers[l + 1].weight[o * next.inputs + i] = columns[i][o] }
                }
            }
            if !last { work.layers[l + 1].scale(rows: nil, columnsDividedBy: mus.map { 1 / $0 }) }
        }
        q.layers[L - 1].bias = grids.biases[L - 1].round(network.layers[L - 1].bias)
        if L == 1 { q.layers[0].weight = grids.weights[0].round(network.layers[0].weight) }
        return q
    }
}
