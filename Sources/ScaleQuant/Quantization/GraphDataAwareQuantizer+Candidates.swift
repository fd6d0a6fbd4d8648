extension GraphDataAwareQuantizer {
    /// The data-aware method `data` (docs/Theory.md §4): rescaling and error feedback together, minimizing the
    /// squared output error Σ_x ‖R_θ̂(x) − R_θ(x)‖² on the calibration inputs. Candidates:
    ///
    /// - the rescaling search (``rescalingSearch(_:grids:calibration:count:options:)``: exact per-channel searches
    ///   over each rescaling family, from the best of cd, RTN and CLE; named after its start), per-tensor grids;
    /// - `gptq`: ``GPTQ`` of the input as given;
    /// - `gptq-cle`: GPTQ of the cross-layer-equalized input;
    /// - `gptq-data`: GPTQ of the float network rescaled as the search's answer: the search chooses each
    ///   channel's λ on the output error, GPTQ rounds with error feedback.
    ///
    /// The GPTQ candidates enter only when every layer has at least as many calibration rows as columns
    /// (``gptqIsDetermined(_:samples:)``), or with per-channel grids, where the search's own answer (per-tensor)
    /// is not a candidate and serves only to choose `gptq-data`'s scales. The score of the search is its error on
    /// the calibration data; that of a GPTQ candidate its two-fold cross-validated error (fitted on one half of the
    /// samples, measured on the other, summed: the scale of an error over all samples; with fewer than 8 samples,
    /// its error on all of them). GPTQ has a free rounding decision per weight and fits the calibration data more
    /// closely than the search (one λ per channel), so its in-sample error would prefer it even where it
    /// generalizes worse; only an honest estimate of it may displace the search (a bias towards the search, which
    /// runs once). The winner, as fitted on all samples, gets ``GraphDataAwareOptions/roundingSweeps`` sweeps of
    /// the rounding refinement (each parameter moved to a grid neighbour when that lowers the error), under the
    /// same condition as GPTQ: it too chooses every weight from the data, and overfits small calibration sets
    /// (docs/Baselines.md). Nothing here is exact (GPTQ is greedy, the searches are windowed), and the answer
    /// depends on the input's scaling through the `gptq` candidate.
    ///
    /// - Complexity: one rescaling search, three GPTQ passes three times (two halves, all samples), one
    ///   refinement sweep.
    /// - Throws: ``GraphError/invalidArgument(_:)`` for calibration data of the wrong size or with NaN/Inf;
    ///   ``GraphError/unsupported(_:)`` for batch norms that cannot be folded; ``FormatError`` for invalid grids.
    public static func quantize(_ graph: GraphNetwork, grids: GraphGridSpec, calibration: [Double], count: Int,
                                options: GraphDataAwareOptions = .init()) throws -> GraphDataAwareResult {
        try checkCalibration(graph, calibration, count: count)
        let folded = try graph.foldingBatchNorm()
        let perTensor = GraphGridSpec(weights: grids.weights.perTensor, biases: grids.biases)
        let equalized = try GraphQuantizer.crossLayerEqualized(folded)
        let useGPTQ = grids.weights.isPerChannel || gptqIsDetermined(folded, samples: count)
        let search = try rescalingSearch(graph, grids: perTensor, calibration: calibration, count: count,
                                         options: options)
        let floats = useGPTQ ? [folded, equalized, try GraphPathLifting.aligned(folded, to: search.quantization.network)]
            : []
        /// The GPTQ candidates fitted on `x` (`n` samples).
        func gptq(_ x: [Double], _ n: Int) throws -> [(network: GraphNetwork, grids: GraphNodeGrids)] {
            try floats.map { f in
                let g = try grids.resolve(for: f)
                return (try GPTQ.quantize(f, grids: g, calibration: x, samples: n), g)
            }
        }
        func squaredError(_ q: GraphNetwork, _ x: [Double], _ n: Int) throws -> Double {
            let y = try q.forward(x, batch: n), t = try folded.forward(x, batch: n)
            var e = 0.0
            for i in y.indices { e += (y[i] - t[i]) * (y[i] - t[i]) }
            return e
        }
        var candidates: [(name: String, network: GraphNetwork, grids: GraphNodeGrids, score: Double)] = []
        if !grids.weights.isPerChannel {
            candidates.append((search.start, search.quantization.network, search.quantization.grids,
                               try squaredError(search.quantization.network, calibration, count)))
        }
        // The GPTQ candidates are scored by two-fold cross-validation (fitted on one half of the samples, measured
        // on the other; the sum over both halves is on the scale of an error over all samples), the search by its
        // error on the data it was fitted to: GPTQ has a free rounding decision per weight and fits the data more
        // closely, so only an honest estimate of its error may displace the search (a bias towards the search).
        let half = count / 2
        var scores = [Double](repeating: 0, count: floats.count)
        if half >= 4 && !candidates.isEmpty {
            let size = graph.inputSize
            let first = Array(calibration[0..<(half * size)]), second = Array(calibration[(half * size)...])
            for (fitOn, nFit, testOn, nTest) in [(first, half, second, count - half), (second, count - half, first, half)] {
                for (i, c) in try gptq(fitOn, nFit).enumerated() { scores[i] += try squaredError(c.network, testOn, nTest) }
            }
        }
        let all = try gptq(calibration, count)
        for (i, c) in all.enumerated() {
            let score = half >= 4 && !candidates.isEmpty ? scores[i] : try squaredError(c.network, calibration, count)
            candidates.append((["gptq", "gptq-cle", "gptq-data"][i], c.network, c.grids, score))
        }
        let chosen = candidates.indices.min { candidates[$0].score < candidates[$1].score }!
        let target = try folded.forward(calibration, batch: count)
        let best = (index: chosen, state: try GraphCalibrationState(graph: candidates[chosen].network, inputs: calibration,
                                                                     samples: count, target: target))
        var state = best.state
        let g = candidates[best.index].grids
        // The search reports its own descent (from its start); another candidate its error before the refinement.
        var errors = best.index == 0 && !grids.weights.isPerChannel ? search.calibrationErrors : [state.error]
        var evaluations = search.evaluations
        for _ in 0..<(useGPTQ ? max(options.roundingSweeps, 0) : 0) {
            let before = state.error
            for p in parameters(of: folded) {
                evaluations += roundingStep(p, grid: p.grid(g, in: folded), &state, options: options)
            }
            errors.append(state.error)
            if before - state.error <= options.relativeTolerance * before { break }
        }
        var result = try GraphQuantizer.result(method: .coordinateDescent, original: folded, quantized: state.graph,
                                               foldedBatchNorm: graph.hasBatchNorm, grids: g,
                                               sweeps: search.quantization.sweeps, history: [], scalings: [])
        result.calibrated = .data
        result.calibrationStart = candidates[best.index].name
        result.calibrationErrors = errors
        return GraphDataAwareResult(quantization: result, start: candidates[best.index].name,
                                    calibrationErrors: errors, evaluations: evaluations)
    }

    /// Whether every conv2d/linear node has at least as many calibration rows (samples × output positions) as
    /// GPTQ columns (inputs per group × kernel area + 1): below that H = XXᵀ is singular, its inverse is the
    /// damping's, and GPTQ's error feedback extrapolates from directions the data do not span (on small
    /// calibration sets it is then worse than RTN; measured in docs/Baselines.md).
    static func gptqIsDetermined(_ graph: GraphNetwork, samples: Int) -> Bool {
        graph.nodes.allSatisfy { node in
            switch node.operation {
            case .conv2d(let g):
                return samples * node.outputShape[1] * node.outputShape[2] >= g.inPerGroup * g.kernelArea + 1
            case .linear(let fin, _):
                return samples >= fin + 1
            default:
                return true
            }
        }
    }
}
