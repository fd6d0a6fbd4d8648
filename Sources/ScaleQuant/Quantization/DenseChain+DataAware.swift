/// Data-aware quantization (docs/Theory.md §4, "Data-aware variants"): minimizes the output error on calibration inputs
/// by exact per-neuron searches over each hidden neuron's rescaling family, as coordinate descent.
///
/// For hidden layer ℓ (layer by layer, left to right) with inputs X = the already-quantized network's
/// activations after layer ℓ−1 on the calibration data, and target T = the full-precision layer ℓ+1
/// pre-activations on ReLU(full-precision layer ℓ applied to X): neuron j (others fixed) has incoming
/// ŷ_j = Q(λ·y_j) (y_j = row j and bias of the original rescaled to the current scale), pre-activations
/// z = ŵ·x + b̂, h = ReLU(z), and for that h the best outgoing weights â_kj = Q(⟨r_k, h⟩/‖h‖²) with r the
/// residual target (T minus the other neurons' quantized contributions and the next layer's bias). The
/// objective Σ_k ‖r_k − â_kj h‖² is piecewise constant in λ between the rounding boundaries of the coordinates
/// (``NumberGrid/forEachBoundary(from:below:_:)``), so it is evaluated once per boundary, updating z
/// incrementally (one coordinate moves by one grid step: O(N)). The λ range is the whole rescaling family of a
/// bounded grid: from "every Q(λ·y_i) is 0" to "every one saturates" (for the idealized F_p, whose family repeats
/// every octave up to the rounding of the outgoing weights, two octaves).
/// A step is accepted only when strictly better; sweeps repeat until no neuron improves. The start is `cd`'s
/// result (or RTN's, if RTN has the smaller calibration error), and the final network is kept only if its
/// squared output error on the calibration data is not larger than the start's. The searches use the start's
/// grids (for per-layer integer steps: RTN's come from the input network, cd's from the reference cd chose).
enum DenseChainDataAware {
    /// The result of one neuron's search.
    struct NeuronStep: Sendable, Equatable {
        /// The chosen factor λ (relative to the given y).
        var lambda: Double
        /// Q(λ·y): quantized incoming weights followed by the bias.
        var incoming: [Double]
        /// The best quantized outgoing weights for that incoming vector (one per output of the next layer).
        var outgoing: [Double]
        /// Σ_k ‖r_k − â_k h‖² over the samples.
        var error: Double
    }

    /// The λ interval searched for an incoming vector `y` (weights and bias) on the given grids: for bounded grids
    /// all of (first rounding boundary / max|y|, 2·max finite / min|y|), outside which Q(λy) no longer changes;
    /// for unbounded grids two octaves.
    static func lambdaRange(_ y: [Double], grids: [any NumberGrid]) -> (lo: Double, hi: Double)? {
        let nonZero = y.filter { $0 != 0 }.map { abs($0) }
        guard let m = nonZero.max(), let small = nonZero.min() else { return nil }
        let maxFinite = grids.map(\.maxFinite).max() ?? .infinity
        guard maxFinite.isFinite, let firstBoundary = grids.map({ $0.smallestPositive / 2 }).min(), firstBoundary > 0
        else { return (1 / (2 * m), 2 / m) }
        return (firstBoundary / m, 2 * maxFinite / small)
    }

    /// The number of breakpoints of the whole-family search for the incoming vector `y` (weights and bias) on
    /// `grids` (the incoming weight and bias grids). O(that number).
    static func searchBreakpoints(_ y: [Double], grids: [any NumberGrid]) -> Int {
        guard let (lo, hi) = lambdaRange(y, grids: grids) else { return 0 }
        var count = 0
        for (i, v) in y.enumerated() where v != 0 {
            (i < y.count - 1 ? grids[0] : grids[1]).forEachBoundary(from: lo * abs(v), below: hi * abs(v)) { _, _ in
                count += 1
            }
        }
        return count
    }

    /// The pre-activations z_s = Σ_i ŷ_i·X[s, i] + ŷ_n of one neuron on the N rows of `inputs` (row-major N × n),
    /// for its incoming weights and bias `incoming` (n + 1 values). O(N·n).
    static func preActivations(_ inputs: [Double], count N: Int, incoming q: [Double]) -> [Double] {
        let n = q.count - 1
        var z = [Double](repeating: 0, count: N)
        for s in 0..<N {
            var acc = q[n]
            for i in 0..<n { acc += q[i] * inputs[s * n + i] }
            z[s] = acc
        }
        return z
    }

    /// The column-major copy of a row-major `rows × columns` matrix. O(rows·columns).
    static func transposed(_ a: [Double], rows: Int, columns: Int) -> [Double] {
        var t = [Double](repeating: 0, count: a.count)
        for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = a[r * columns + c] } }
        return t
    }

    /// The objective and best outgoing weights for fixed pre-activations `z` (N values) and residuals `r`
    /// (row-major N × m). O(N·m).
    static func evaluate(z: [Double], r: [Double], rNorm2: [Double], m: Int, grid: any NumberGrid)
        -> (error: Double, outgoing: [Double]) {
        let n = z.count
        var hh = 0.0
        var rh = [Double](repeating: 0, count: m)
        for s in 0..<n where z[s] > 0 {
            let h = z[s]
            hh += h * h
            for k in 0..<m { rh[k] += r[s * m + k] * h }
        }
        var err = 0.0
        var a = [Double](repeating: 0, count: m)
        for k in 0..<m {
            if hh > 0 { a[k] = grid.round(rh[k] / hh) }
            err += rNorm2[k] - 2 * a[k] * rh[k] + a[k] * a[k] * hh
        }
        return (err, a)
    }

    /// One neuron's exact search over λ in `range` (default ``lambdaRange(_:grids:)``).
    ///
    /// - Parameters:
    ///   - inputs: row-major N × n layer inputs; `y`: n weights and a bias; `residual`: row-major N × m;
    ///   - grids: the incoming weight grid, the incoming bias grid, the outgoing weight grid.
    /// - Complexity: O((n·N) + B·N·m) for B rounding boundaries in the range.
    static func bestNeuronStep(inputs: [Double], count N: Int, y: [Double], residual: [Double], outputs m: Int,
                                      weightGrid: any NumberGrid, biasGrid: any NumberGrid, outgoingGrid: any NumberGrid,
                                      range: (lo: Double, hi: Double)? = nil) -> NeuronStep? {
        let n = y.count - 1
        guard let (lo, hi) = range ?? lambdaRange(y, grids: [weightGrid, biasGrid]) else { return nil }
        var rNorm2 = [Double](repeating: 0, count: m)
        for s in 0..<N { for k in 0..<m { rNorm2[k] += residual[s * m + k] * residual[s * m + k] } }
        // Events: (λ, coordinate, new value).
        var events: [(Double, Int, Double)] = []
        for i in 0...n where y[i] != 0 {
            let g: any NumberGrid = i < n ? weightGrid : biasGrid
            let a = abs(y[i]), sign: Double = y[i] < 0 ? -1 : 1
            g.forEachBoundary(from: lo * a, below: hi * a) { beta, above in events.append((beta / a, i, sign * above)) }
        }
        events.sort { $0.0 < $1.0 }
        // Split the events into two chunks at a group boundary (equal λ), each replaying the earlier events
        // on the rounded values only and then searched on its own thread.
        var cut = events.count / 2
        while cut > 0 && cut < events.count && events[cut].0 == events[cut - 1].0 { cut += 1 }
        let bounds = events.count > 64 && cut < events.count ? [0, cut, events.count] : [0, events.count]
        let results: [NeuronStep] = parallelMap(bounds.count - 1) { c -> NeuronStep in
            let start = bounds[c], end = bounds[c + 1]
            var q = (0...n).map { i in (i < n ? weightGrid : biasGrid).round(lo * y[i]) }
            for k in 0..<start { q[events[k].1] = events[k].2 }
            let lambda0 = start > 0 ? events[start - 1].0 : lo
            var z = preActivations(inputs, count: N, incoming: q)
            var first = evaluate(z: z, r: residual, rNorm2: rNorm2, m: m, grid: outgoingGrid)
            var best = NeuronStep(lambda: lambda0, incoming: q, outgoing: first.outgoing, error: first.error)
            var e = start
            while e < end {
                let lambda = events[e].0
                while e < end && events[e].0 == lambda {
                    let (_, i, v) = events[e]
                    let d = v - q[i]
                    if d != 0 {
                        q[i] = v
                        if i == n { for s in 0..<N { z[s] += d } } else { for s in 0..<N { z[s] += d * inputs[s * n + i] } }
                    }
                    e += 1
                }
                first = evaluate(z: z, r: residual, rNorm2: rNorm2, m: m, grid: outgoingGrid)
                if first.error < best.error {
                    best = NeuronStep(lambda: lambda, incoming: q, outgoing: first.outgoing, error: first.error)
                }
            }
            return best
        }
        return results.min { $0.error < $1.error }
    }

    /// Quantizes `network` on `grids` minimizing the output error on `count` calibration inputs (row-major).
    ///
    /// The calibration data is validated by the caller (``GraphDataAwareQuantizer/quantize(_:grids:calibration:count:options:)``).
    /// `options.maxSweeps` bounds both cd's sweeps and the data-aware sweeps of each layer. Returns the result and
    /// the name of the start ("cd" or "rtn") and the squared calibration errors of the start and of the result.
    ///
    /// - Throws: grid and rank-one solver errors.
    static func quantize(_ network: DenseChain, grids: GraphGridSpec, calibration: [Double], count: Int,
                         options dataOptions: GraphDataAwareOptions) throws
        -> (result: DenseChainResult, start: String, errors: [Double]) {
        let options = dataOptions.pathMetric
        func sse(_ a: DenseChain) -> Double {
            let ya = network.forward(calibration, batch: count), yb = a.forward(calibration, batch: count)
            return zip(ya, yb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
        // Start: cd's result, or RTN's when RTN has the smaller calibration error.
        let cd = try DenseChainQuantizer.quantize(network, method: .coordinateDescent, grids: grids, options: options)
        let rtn = try DenseChainQuantizer.quantize(network, method: .rtn, grids: grids, options: options)
        let startsFromRTN = sse(rtn.network) < sse(cd.network)
        let start = startsFromRTN ? rtn : cd
        let startNet = start.network
        // The grids of the start (per-layer integer steps: RTN's come from the input, cd's from the reference it chose).
        let g = start.grids
        var ref = network.aligned(to: startNet)  // the original at the current scale
        var q = startNet
        var x = calibration
        var sweepsTotal = 0
        for l in 0..<(network.layers.count - 1) {
            let L = ref.layers[l], next = ref.layers[l + 1]
            let n = L.inputs, hidden = L.outputs, m = next.outputs
            // Target: full-precision next-layer pre-activations on the quantized inputs.
            let full = DenseChain(unchecked: [L, next])
            let target = full.forward(x, batch: count)
            // Current contributions: h_j of the quantized layer, and the prediction P.
            var zq = DenseChain(unchecked: [q.layers[l]]).forward(x, batch: count)  // N × hidden, pre-activation
            var outgoing = (0..<hidden).map { j in (0..<m).map { k in q.layers[l + 1].weight[k * hidden + j] } }
            let outBias = q.layers[l + 1].bias
            var pred = [Double](repeating: 0, count: count * m)
            for s in 0..<count {
                for k in 0..<m {
                    var acc = outBias[k]
                    for j in 0..<hidden { acc += outgoing[j][k] * max(zq[s * hidden + j], 0) }
                    pred[s * m + k] = acc
                }
            }
            // Whole-family searches on small layers (every piece refitted), else a window evaluated in O(N) per
            // breakpoint; the work of a sweep is estimated from the layer's first neuron.
            let windowed = hidden * (n + 1 + m) > dataOptions.perceptronWindowMinParameters
                || Double(searchBreakpoints(ref.layers[l].incoming(0), grids: [g.weights[l], g.biases[l]]))
                    * Double(count) * Double(m) * Double(hidden) > dataOptions.perceptronSearchMaxWork
            let columns = windowed ? transposed(x, rows: count, columns: n) + [Double](repeating: 1, count: count) : []
            // Windowed layers take at most the data-aware sweep cap (3 by default), whole-family ones cd's.
            let maxSweeps = max(1, windowed ? min(dataOptions.maxSweeps, options.maxSweeps) : options.maxSweeps)
            var improved = true, sweeps = 0
            var tracker = ProgressTracker(options.progress, stage: "data", maxSweeps: maxSweeps,
                                          costs: [Double](repeating: 1, count: hidden))
            while improved && sweeps < maxSweeps {
                improved = false
                sweeps += 1
                tracker.beginSweep(sweeps, objective: nil)
                for j in 0..<hidden {
                    tracker.step(j, label: "layer \(l + 1) of \(network.layers.count - 1), neuron \(j + 1) of \(hidden)")
                    // Residual without neuron j, and the current error of neuron j.
                    var r = [Double](repeating: 0, count: count * m)
                    var current = 0.0
                    for s in 0..<count {
                        let h = max(zq[s * hidden + j], 0)
                        for k in 0..<m {
                            let v = target[s * m + k] - pred[s * m + k] + outgoing[j][k] * h
                            r[s * m + k] = v
                            let d = v - outgoing[j][k] * h
                            current += d * d
                        }
                    }
                    let found = windowed
                        ? bestWindowedNeuronStep(inputs: x, columns: columns, count: count, y: ref.layers[l].incoming(j),
                                                 x: ref.layers[l + 1].column(j), residual: r, outputs: m,
                                                 weightGrid: g.weights[l], biasGrid: g.biases[l],
                                                 outgoingGrid: g.weights[l + 1],
                                                 windowBinades: dataOptions.perceptronWindowBinades,
                                                 candidates: max(dataOptions.perceptronCandidates, 1))
                        : bestNeuronStep(inputs: x, count: count, y: ref.layers[l].incoming(j), residual: r,
                                         outputs: m, weightGrid: g.weights[l], biasGrid: g.biases[l],
                                         outgoingGrid: g.weights[l + 1])
                    guard let step = found, step.error < current * (1 - 1e-12) else { continue }
                    improved = true
                    q.layers[l].weight.replaceSubrange((j * n)..<((j + 1) * n), with: step.incoming[0..<n])
                    q.layers[l].bias[j] = step.incoming[n]
                    // The reference follows neuron j's new scale (its row times λ, its outgoing column divided by λ).
                    ref.layers[l].bias[j] *= step.lambda
                    for i in 0..<n { ref.layers[l].weight[j * n + i] *= step.lambda }
                    for k in 0..<m { ref.layers[l + 1].weight[k * hidden + j] /= step.lambda }
                    let z = preActivations(x, count: count, incoming: step.incoming)
                    for s in 0..<count {
                        zq[s * hidden + j] = z[s]
                        let h = max(z[s], 0)
                        for k in 0..<m { pred[s * m + k] = target[s * m + k] - r[s * m + k] + step.outgoing[k] * h }
                    }
                    outgoing[j] = step.outgoing
                    for k in 0..<m { q.layers[l + 1].weight[k * hidden + j] = step.outgoing[k] }
                }
            }
            sweepsTotal += sweeps
            if l + 1 < network.layers.count - 1 {
                // Next step re-quantizes layer l+1 from `ref`, consistent with the new scales of layer l.
                x = zq.map { max($0, 0) }
            }
        }
        let startError = sse(startNet), endError = sse(q)
        let chosen = endError <= startError ? q : startNet
        let result = DenseChainResult(network: chosen,
                                      scalings: DenseChainQuantizer.fittedScalings(original: network, quantized: chosen),
                                      sweeps: sweepsTotal, history: [], grids: g)
        return (result, startsFromRTN ? "rtn" : "cd", [startError, min(endError, startError)])
    }
}
