extension DenseChainQuantizer {
    /// Exact coordinate descent on the ℓ² path-metric ‖Φ(θ) − Φ(θ̂)‖₂² (docs/Theory.md §4; our derivation, checked by the
    /// tests: brute force, monotonicity, rescaling invariance).
    ///
    /// **Derivation.** Fix every quantized parameter except those of hidden neuron i of layer ℓ: its incoming row
    /// and bias ŷ (ŷ_k = Ŵ_ℓ[i,k], ŷ_bias = b̂_ℓ[i]) and its outgoing column x̂ (x̂_o = Ŵ_{ℓ+1}[o,i]). Only the paths
    /// through i involve them, and each such path is an in-path p of a unit k feeding i (an input, whose only in-path
    /// is trivial, or a neuron of layer ℓ−1), the edge k→i, the edge i→o and an out-path s of a unit o fed by i
    /// (an output, whose only out-path is trivial); i's own bias starts a single in-path of value 1. Writing P_k
    /// (P̂_k) for the vector of in-path values of k in θ (θ̂) and S_o (Ŝ_o) for the out-path values of o, the
    /// paths through i form the disjoint blocks y_k x_o (P_k ⊗ S_o), so
    ///   Σ_{k,o} ‖y_k x_o P_k⊗S_o − ŷ_k x̂_o P̂_k⊗Ŝ_o‖²
    ///   = const − 2 (Σ_k y_k F_k ŷ_k)(Σ_o x_o G_o x̂_o) + (Σ_k N̂_k ŷ_k²)(Σ_o M̂_o x̂_o²)
    /// with the forward quantities F_k = ⟨P_k, P̂_k⟩, N̂_k = ‖P̂_k‖² (1 and 1 for inputs and for the bias) and the
    /// backward quantities G_o = ⟨S_o, Ŝ_o⟩, M̂_o = ‖Ŝ_o‖² (1 and 1 for outputs). This is the weighted rank-one form
    /// of docs/Theory.md §2 with a = x⊙G, c = M̂, b = y⊙F, d = N̂, solved exactly by
    /// ``RankOne/solveWeighted(a:c:b:d:gridX:gridY:keepY:)``. F, N̂ come from the identity-activation forward
    /// passes with W⊙Ŵ and Ŵ⊙Ŵ, G, M̂ from the matching backward passes.
    ///
    /// Neurons of one layer share no path, and their subproblems only involve F, N̂ of the layer before and G, M̂ of
    /// the layer after, which they do not change: a whole layer is solved at once (in parallel) and the step is
    /// exact block coordinate descent. A sweep visits the layers left to right, recomputing F, N̂ after each layer,
    /// with G, M̂ from one backward pass per sweep (layers to the right are not yet touched in the sweep). Each step
    /// keeps the previous values unless the new ones are strictly better, so the metric never increases. All
    /// weights a/c and b/d scale uniformly under a rescaling of the input, so the result does not depend on it.
    ///
    /// - Complexity: per sweep O(P) for the passes plus one weighted rank-one solve per hidden neuron.
    static func coordinateDescent(_ net: DenseChain, start: DenseChain,
                                  grids: LayerGrids,
                                  options: GraphCoordinateDescentOptions) throws
        -> (network: DenseChain, history: [Double], sweeps: Int) {
        var q = start
        let L = net.layers.count
        var current = net.squaredPathDistance(to: q)
        var history = [current.squareRoot()]
        var sweeps = 0
        guard L >= 2 else { return (q, history, 0) }
        var tracker = ProgressTracker(options.progress, stage: "cd", maxSweeps: options.maxSweeps,
                                      costs: (0..<(L - 1)).map { Double(net.layers[$0].weight.count
                                                                        + net.layers[$0 + 1].weight.count) })
        while sweeps < options.maxSweeps && current > 0 {
            sweeps += 1
            tracker.beginSweep(sweeps, objective: max(current, 0).squareRoot())
            let (G, M) = backwardQuantities(net, q)
            var F = [Double](repeating: 1, count: net.inputSize), N = F
            for l in 0..<(L - 1) {
                tracker.step(l, label: "layer \(l + 1) of \(L - 1)")
                let layer = net.layers[l], n = layer.inputs, next = net.layers[l + 1]
                let d = N + [1]
                let g = G[l + 1], m = M[l + 1]
                let snapshot = q
                var solutions = [(x: [Double], y: [Double])?](repeating: nil, count: layer.outputs)
                var failures = [(any Error)?](repeating: nil, count: layer.outputs)
                solutions.withUnsafeMutableBufferPointer { sp in
                    failures.withUnsafeMutableBufferPointer { fp in
                        let sb = UncheckedBox(sp), fb = UncheckedBox(fp)
                        parallelFor(layer.outputs) { i in
                            var b = layer.incoming(i)
                            for k in 0..<n { b[k] *= F[k] }
                            var a = next.column(i)
                            for o in 0..<a.count { a[o] *= g[o] }
                            let problem = NeuronPairProblem(a: a, c: m, b: b, d: d)
                            let cur = (snapshot.layers[l + 1].column(i), snapshot.layers[l].incoming(i))
                            do {
                                sb.value[i] = try problem.solve(gridX: grids.weights[l + 1], gridY: grids.weights[l],
                                                                biasGrid: grids.biases[l], current: cur)
                            } catch { fb.value[i] = error }
                        }
                    }
                }
                if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
                for i in 0..<layer.outputs {
                    guard let s = solutions[i] else { continue }
                    for k in 0..<n { q.layers[l].weight[i * n + k] = s.y[k] }
                    q.layers[l].bias[i] = s.y[n]
                    for o in 0..<next.outputs { q.layers[l + 1].weight[o * next.inputs + i] = s.x[o] }
                    options.afterStep?(q.graph)
                }
                // Forward quantities of this layer's neurons, now that its rows are final for the sweep.
                (F, N) = forwardQuantities(layer, q.layers[l], F: F, N: N)
            }
            let value = net.squaredPathDistance(to: q)
            history.append(max(value, 0).squareRoot())
            let improvement = current - value
            current = min(current, value)
            if improvement <= options.relativeTolerance * current { break }
        }
        return (q, history, sweeps)
    }

    /// The forward quantities of the units output by a layer, F_i = ⟨P_i, P̂_i⟩ and N̂_i = ‖P̂_i‖² over their
    /// in-paths, from those of its inputs (`F`, `N`): F_i = b_i b̂_i + Σ_k W_ik Ŵ_ik F_k, N̂_i = b̂_i² + Σ_k Ŵ_ik² N̂_k,
    /// with `layer` from θ and `quantized` from θ̂. O(parameters of the layer).
    static func forwardQuantities(_ layer: DenseLayer, _ quantized: DenseLayer, F: [Double], N: [Double])
        -> (F: [Double], N: [Double]) {
        let n = layer.inputs
        var F2 = [Double](repeating: 0, count: layer.outputs), N2 = F2
        for i in 0..<layer.outputs {
            var f = layer.bias[i] * quantized.bias[i], nn = quantized.bias[i] * quantized.bias[i]
            for k in 0..<n {
                let w = layer.weight[i * n + k], wq = quantized.weight[i * n + k]
                f += w * wq * F[k]; nn += wq * wq * N[k]
            }
            F2[i] = f; N2[i] = nn
        }
        return (F2, N2)
    }

    /// The weights of coordinate descent's per-neuron subproblems for θ = `net` and θ̂ = `quantized` (docs/Theory.md §4; see
    /// ``coordinateDescent(_:start:grids:options:)``): per layer ℓ, `F[ℓ]`, `N[ℓ]` are ⟨P_k, P̂_k⟩ and ‖P̂_k‖² of the
    /// units feeding layer ℓ (the inputs: 1), `G[ℓ]`, `M[ℓ]` are ⟨S_o, Ŝ_o⟩ and ‖Ŝ_o‖² of the units layer ℓ outputs
    /// (the outputs: 1). Hidden neuron i of layer ℓ then has a = W_{ℓ+1}[:, i]⊙G[ℓ+1], c = M[ℓ+1],
    /// b = [W_ℓ[i, :]⊙F[ℓ], b_ℓ[i]], d = [N[ℓ], 1]. For tools and benchmarks; cd itself recomputes F, N after every
    /// layer it changes. O(P).
    static func subproblemWeights(_ net: DenseChain, _ quantized: DenseChain)
        -> (F: [[Double]], N: [[Double]], G: [[Double]], M: [[Double]]) {
        precondition(net.widths == quantized.widths, "networks have different architectures")
        var F = [[Double](repeating: 1, count: net.inputSize)], N = F
        for l in 0..<(net.layers.count - 1) {
            let (f, n) = forwardQuantities(net.layers[l], quantized.layers[l], F: F[l], N: N[l])
            F.append(f); N.append(n)
        }
        let (G, M) = backwardQuantities(net, quantized)
        return (F, N, G, M)
    }

    /// G[ℓ][o] = ⟨S_o, Ŝ_o⟩ and M[ℓ][o] = ‖Ŝ_o‖² over the out-paths of the units output by layer ℓ (1 at the
    /// outputs): the backward identity-activation passes with W⊙Ŵ and Ŵ⊙Ŵ. O(P).
    static func backwardQuantities(_ net: DenseChain, _ q: DenseChain) -> (G: [[Double]], M: [[Double]]) {
        let L = net.layers.count
        var G = [[Double]](repeating: [], count: L), M = G
        G[L - 1] = [Double](repeating: 1, count: net.outputSize)
        M[L - 1] = G[L - 1]
        for l in stride(from: L - 2, through: 0, by: -1) {
            let a = net.layers[l + 1], b = q.layers[l + 1], n = a.inputs
            var g = [Double](repeating: 0, count: n), m = g
            for o in 0..<a.outputs {
                let go = G[l + 1][o], mo = M[l + 1][o]
                for k in 0..<n {
                    let w = a.weight[o * n + k], wq = b.weight[o * n + k]
                    g[k] += w * wq * go; m[k] += wq * wq * mo
                }
            }
            G[l] = g; M[l] = m
        }
        return (G, M)
    }
}

extension GraphQuantizer {
    /// The weighted rank-one subproblems cd solves for `perLayer` evenly spaced neurons of each hidden layer of the
    /// perceptron θ = `net` against its quantization θ̂ = `quantized` (``subproblemWeights(_:_:)``; coordinates with
    /// zero weight removed), for tools and benchmarks; `nil` unless both are perceptrons of the same widths. O(P).
    public static func perceptronSubproblems(_ net: GraphNetwork, _ quantized: GraphNetwork, perLayer: Int)
        -> [(layer: Int, a: [Double], c: [Double], b: [Double], d: [Double])]? {
        guard let a0 = DenseChain(net), let q0 = DenseChain(quantized), a0.widths == q0.widths else { return nil }
        let (F, N, G, M) = DenseChainQuantizer.subproblemWeights(a0, q0)
        var out: [(layer: Int, a: [Double], c: [Double], b: [Double], d: [Double])] = []
        for l in 0..<(a0.layers.count - 1) {
            let layer = a0.layers[l], next = a0.layers[l + 1], n = layer.inputs
            for i in stride(from: 0, to: layer.outputs, by: max(1, layer.outputs / max(perLayer, 1))) {
                var b = layer.incoming(i)
                for k in 0..<n { b[k] *= F[l][k] }
                let d = N[l] + [1]
                var a = next.column(i)
                for o in 0..<a.count { a[o] *= G[l + 1][o] }
                let c = M[l + 1]
                let xi = (0..<a.count).filter { c[$0] > 0 }, yi = (0..<b.count).filter { d[$0] > 0 }
                guard !xi.isEmpty, !yi.isEmpty else { continue }
                out.append((l, xi.map { a[$0] }, xi.map { c[$0] }, yi.map { b[$0] }, yi.map { d[$0] }))
            }
        }
        return out
    }
}
