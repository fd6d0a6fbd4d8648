/// Options of the data-aware graph quantizer (``GraphDataAwareQuantizer``).
public struct GraphDataAwareOptions: Sendable {
    /// At most this many sweeps over all channel groups.
    public var maxSweeps: Int = 3
    /// Stop when a sweep lowers the calibration error by less than this fraction.
    public var relativeTolerance: Double = 1e-9
    /// Half-width, in binades, of each group's λ window around its current scale.
    public var windowBinades: Double = 2
    /// At most this many breakpoints per group search (the window is halved until it has no more).
    public var maxEvents: Int = 4_000
    /// Search all λ > 0 instead of the window when every grid is bounded and the whole family has at most this
    /// many breakpoints (tiny formats).
    public var fullRangeMaxEvents: Int = 3_000
    /// Sweeps of the rounding refinement after the rescaling sweeps: every conv2d/linear parameter in turn is
    /// moved one grid value up or down when that lowers the calibration error (0: none).
    public var roundingSweeps: Int = 1
    /// Perceptrons: a hidden layer with more parameters than this (neurons × (inputs + 1 + outputs of the next
    /// layer): at most 6,336 for the bundled digits MLPs, 34,176 to 235,008 for the layers of a 784-256-128-10
    /// MLP) searches a window of λ per neuron, outgoing weights on the family, in O(rows) per breakpoint, instead
    /// of the whole family with the outgoing weights refitted at every breakpoint, and takes at most
    /// ``maxSweeps`` sweeps (``DenseChainDataAware``).
    public var perceptronWindowMinParameters: Int = 20_000
    /// Perceptrons: so does a hidden layer whose sweep of whole-family searches would cost more than this many
    /// multiply-adds (neurons × breakpoints × calibration rows × outputs of the next layer: at most 4.3·10⁹ for the
    /// bundled digits MLPs on their 256 calibration rows at e4m3 or int8, 10¹¹ at bf16).
    public var perceptronSearchMaxWork: Double = 8e9
    /// The half-width in binades of that window around the neuron's current scale.
    public var perceptronWindowBinades: Double = 1
    /// Pieces of that window refitted and evaluated exactly per neuron.
    public var perceptronCandidates: Int = 4
    /// Options of the coordinate descent on the ℓ² path-metric that gives one of the starts.
    public var pathMetric = GraphCoordinateDescentOptions()
    /// Refuse calibration batches whose kept node outputs (three copies: the state and one per thread) would take
    /// more bytes than this.
    public var maxMemoryBytes: Double = 4 * 1_073_741_824
    /// Called after every accepted group step with the current graph and its calibration error (a test hook).
    public var afterStep: (@Sendable (GraphNetwork, Double) -> Void)? = nil
    /// Default options.
    public init() {}

    /// Default options whose cd start uses `pathMetric` and whose data-aware sweeps are also capped by
    /// `pathMetric.maxSweeps` (at least 1): what `--max-sweeps N` means for method `data` in the CLI, the C
    /// interface and the experiments.
    public init(pathMetric: GraphCoordinateDescentOptions) {
        self.pathMetric = pathMetric
        maxSweeps = min(maxSweeps, max(pathMetric.maxSweeps, 1))
    }
}

/// The result of ``GraphDataAwareQuantizer/quantize(_:grids:calibration:count:options:)``.
public struct GraphDataAwareResult: Sendable {
    /// The quantized graph, its grids and its ℓ² path-metric to the (folded) input. Its `method` is
    /// ``QuantizationMethod/coordinateDescent`` (coordinate descent, here on the calibration error), its
    /// `sweeps` the data-aware sweeps and its `history` empty.
    public var quantization: GraphQuantizationResult
    /// The start that had the smallest calibration error: `cd`, `rtn` (of the normal form), `rtn-max` (of the
    /// max-normalized normal form) or `cle` (of the normal form).
    public var start: String
    /// Σ over the calibration inputs and outputs of (R_θ̂(x) − R_θ(x))²: at the start, then after each sweep.
    public var calibrationErrors: [Double]
    /// Calibration errors evaluated (incrementally): one per piece of every line search, one or two per parameter
    /// and rounding sweep.
    public var evaluations: Int
}

/// Data-aware quantization of ReLU networks (docs/Theory.md §4, "Data-aware variants"): coordinate descent over
/// channel groups on the squared output error on calibration inputs, Σ_x ‖R_θ̂(x) − R_θ(x)‖².
///
/// A multilayer perceptron goes to the dense-chain solver (``DenseChainDataAware``: layer by layer, an exact search
/// over each hidden neuron's whole rescaling family with the outgoing column refitted by least squares, started from
/// cd or RTN); there `options.pathMetric` alone applies (its `maxSweeps` also bounds the sweeps of each layer), the
/// result's `calibrationErrors` holds the start's and the result's errors, and `evaluations` is 0. The rest of
/// this description is the graph solver.
///
/// One step takes a channel group (a hidden channel, or channels tied across a residual join) and its rescaling
/// family: ŷ(λ) = Q(λ·y) for its incoming parameters (the incoming kernel slices and biases) and x̂(λ) = Q(x/λ) for
/// its outgoing ones (the kernel slices or columns that read it), y and x taken from the normal form aligned to the
/// current point (the roles of y and x in the rank-one problem). The calibration error is piecewise constant in λ;
/// it is evaluated exactly once per piece within λ ∈ [λ₀·2^−W, λ₀·2^W] around the group's current scale λ₀
/// (W = ``GraphDataAwareOptions/windowBinades``, halved while there are more than
/// ``GraphDataAwareOptions/maxEvents`` breakpoints; all λ for tiny formats), by ``GraphCalibrationState``, which
/// pushes each one-step parameter change forward through the channels it reaches. The best piece is taken only if
/// it lowers the error, so every step is a descent step: **exact within the window, not globally**. Unlike the MLP
/// quantizer, the outgoing parameters stay on the family (Q(x/λ)) rather than being refitted by least squares: for a
/// convolution they are kernel slices, and a joint refit of a slice is a closest-vector problem.
///
/// Then a rounding refinement (``GraphDataAwareOptions/roundingSweeps``, one sweep by default): each conv2d/linear
/// parameter in turn moves to its grid neighbour above, else below, when that lowers the calibration error — a local
/// search over rounding directions, which the rescaling family cannot choose one weight at a time.
///
/// Starts (the one with the smallest calibration error is descended; every one depends only on the rescaling
/// orbit, so the result does not depend on how the input's channels are scaled): `cd` (``GraphQuantizer``'s
/// coordinate descent on the ℓ² path-metric), RTN of the normal form, RTN of the max-normalized normal form and
/// CLE of the normal form, each on its own grids (per-node integer steps from its reference). The result is never
/// worse on the calibration data than any of them, in particular than `cd` and `cle`; it may be worse than RTN of
/// the input as given (that start is not rescaling-immune and is not tried).
///
/// - Complexity: per sweep and group, O(K log K) for K ≤ ``GraphDataAwareOptions/maxEvents`` breakpoints plus K
///   incremental evaluations; per rounding sweep two or three evaluations per parameter; each evaluation is the
///   forward pass restricted to the channels the change reaches, on the calibration batch. Memory: every node's
///   output on the batch, three times (two threads).
public enum GraphDataAwareQuantizer {
    /// Quantizes `graph` on `grids` minimizing the squared output error on `count` calibration inputs
    /// (`count × inputSize`, NCHW).
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` for calibration data of the wrong size or with NaN/Inf;
    ///   ``GraphError/unsupported(_:)`` for batch norms that cannot be folded; ``FormatError`` for invalid grids.
    static func rescalingSearch(_ graph: GraphNetwork, grids: GraphGridSpec, calibration: [Double], count: Int,
                                options: GraphDataAwareOptions = .init()) throws -> GraphDataAwareResult {
        try checkCalibration(graph, calibration, count: count)
        let folded = try graph.foldingBatchNorm()
        if let chain = DenseChain(folded) {
            let (r, start, errors) = try DenseChainDataAware.quantize(chain, grids: grids, calibration: calibration,
                                                                      count: count, options: options)
            let q = try GraphQuantizer.result(of: r, method: .coordinateDescent, original: folded,
                                              foldedBatchNorm: graph.hasBatchNorm)
            return GraphDataAwareResult(quantization: q, start: start, calibrationErrors: errors, evaluations: 0)
        }
        let bytes = 3 * 8 * Double(count) * Double((0..<folded.valueCount).reduce(0) { $0 + folded.valueSize($1) })
        guard bytes <= options.maxMemoryBytes else {
            let gib = (bytes / 1_073_741_824 * 10).rounded(.up) / 10
            throw GraphError.invalidArgument("\(count) calibration samples would keep about \(gib) GiB of node outputs "
                + "(limit \(options.maxMemoryBytes / 1_073_741_824) GiB): use fewer samples")
        }
        let normal = try folded.normalForm().network
        let target = try normal.forward(calibration, batch: count)

        // Starts, all functions of the rescaling orbit.
        var starts: [(name: String, network: GraphNetwork, grids: GraphNodeGrids)] = []
        let cd = try GraphQuantizer.bestCoordinateDescent(normal, grids: grids, options: options.pathMetric)
        starts.append(("cd", cd.network, cd.grids))
        let gNormal = try grids.resolve(for: normal)
        starts.append(("rtn", GraphQuantizer.roundToNearest(normal, gNormal), gNormal))
        starts.append(("rtn-max", GraphQuantizer.roundToNearest(try GraphQuantizer.maxNormalized(normal, gNormal),
                                                                gNormal), gNormal))
        let equalized = try GraphQuantizer.crossLayerEqualized(normal)
        let gEqualized = try grids.resolve(for: equalized)
        starts.append(("cle", GraphQuantizer.roundToNearest(equalized, gEqualized), gEqualized))
        var best: (index: Int, state: GraphCalibrationState)?
        for (i, start) in starts.enumerated() {
            let state = try GraphCalibrationState(graph: start.network, inputs: calibration, samples: count,
                                                  target: target)
            if best == nil || state.error < best!.state.error { best = (i, state) }
        }
        var state = best!.state
        let g = starts[best!.index].grids

        let structure = try normal.rescalingStructure()
        let families = structure.groups.indices.map {
            GraphQuantizer.groupFamily(normal, group: structure.groups[$0], index: $0, structure: structure)
        }
        let window = FamilyWindow(binades: options.windowBinades, maxEvents: options.maxEvents,
                                  fullRangeMaxEvents: options.fullRangeMaxEvents)
        var ref = normal
        var history = [state.error]
        var sweeps = 0, evaluations = 0
        var tracker = ProgressTracker(options.pathMetric.progress, stage: "data", maxSweeps: options.maxSweeps,
                                      costs: families.map { Double($0.count) })
        while sweeps < max(options.maxSweeps, 0) {
            sweeps += 1
            tracker.beginSweep(sweeps, objective: state.error)
            let before = state.error
            for (k, group) in structure.groups.enumerated() where !families[k].isEmpty {
                tracker.step(k, label: "channel group \(k + 1) of \(structure.groups.count)")
                GraphPathLifting.align(&ref, group: group, to: state.graph)
                let params = families[k]
                guard let pieces = GraphQuantizer.familyPieces(params, reference: ref, current: state.graph, grids: g,
                                                               window: window),
                      let step = pieces.bestPiece(params.map(\.p), from: state) else { continue }
                evaluations += pieces.pieceEnds.count
                guard step.value < state.error * (1 - 1e-12) else { continue }
                for (i, value) in pieces.values(atPiece: step.piece).enumerated() { state.set(params[i].p, value) }
                options.afterStep?(state.graph, state.error)
            }
            history.append(state.error)
            if before - state.error <= options.relativeTolerance * before { break }
        }

        let all = parameters(of: normal)
        var rounding = ProgressTracker(options.pathMetric.progress, stage: "data rounding",
                                       maxSweeps: max(options.roundingSweeps, 0),
                                       costs: [Double](repeating: 1, count: all.count))
        for r in 0..<max(options.roundingSweeps, 0) {
            rounding.beginSweep(r + 1, objective: state.error)
            let before = state.error
            for (i, p) in all.enumerated() {
                rounding.step(i, label: "parameter \(i + 1) of \(all.count)")
                evaluations += roundingStep(p, grid: p.grid(g, in: normal), &state, options: options)
            }
            history.append(state.error)
            if before - state.error <= options.relativeTolerance * before { break }
        }

        let metric = try GraphPathLifting.l2PathMetric(folded, state.graph)
        let norm = try GraphPathLifting.pathNorm(folded, q: 2)
        let result = GraphQuantizationResult(method: .coordinateDescent, network: state.graph,
                                             foldedBatchNorm: graph.hasBatchNorm, grids: g, l2PathMetric: metric,
                                             relativeL2PathMetric: norm > 0 ? metric / norm : 0, sweeps: sweeps,
                                             history: [])
        return GraphDataAwareResult(quantization: result, start: starts[best!.index].name, calibrationErrors: history,
                                    evaluations: evaluations)
    }
}

extension GraphDataAwareQuantizer {
    /// Checks that `calibration` holds `count` ≥ 1 finite samples of `graph`'s input.
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` naming the problem.
    static func checkCalibration(_ graph: GraphNetwork, _ calibration: [Double], count: Int) throws {
        guard count > 0, calibration.count == count * graph.inputSize else {
            throw GraphError.invalidArgument("calibration data has \(calibration.count) values for \(count) samples; "
                + "the graph has \(graph.inputSize) inputs (shape \(graph.inputShape)) per sample")
        }
        if let i = calibration.firstIndex(where: { !$0.isFinite }) {
            throw GraphError.invalidArgument("calibration value \(i) (sample \(i / graph.inputSize)) is NaN or infinite")
        }
    }

    /// Every conv2d/linear parameter of `g`, node by node, weights then biases.
    static func parameters(of g: GraphNetwork) -> [GraphParameter] {
        g.nodes.indices.filter { g.nodes[$0].operation.isAffine }.flatMap { GraphParameter.all(ofNode: $0, in: g) }
    }

    /// Moves parameter p to the grid value next above or below it if that lowers the calibration error (above
    /// first; a move is kept only if strictly better). Returns the number of candidates evaluated (at most two;
    /// undoing a move is one more incremental update).
    @discardableResult
    static func roundingStep(_ p: GraphParameter, grid: any NumberGrid, _ state: inout GraphCalibrationState,
                             options: GraphDataAwareOptions) -> Int {
        let v = p.value(in: state.graph), current = state.error
        var evaluated = 0
        for candidate in [grid.nextUp(v), grid.nextDown(v)] where candidate.isFinite {
            state.set(p, candidate)
            evaluated += 1
            if state.error < current * (1 - 1e-12) {
                options.afterStep?(state.graph, state.error)
                return evaluated
            }
        }
        state.set(p, v)
        return evaluated
    }
}

extension GraphCalibrationState: FamilyObjective {
    /// The squared calibration error.
    mutating func objective() -> Double { error }
}
