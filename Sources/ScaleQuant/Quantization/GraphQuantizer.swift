#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options of graph coordinate descent (``GraphQuantizer``, method `cd`).
public struct GraphCoordinateDescentOptions: Sendable {
    /// Stop when a sweep improves ‖Φ(θ) − Φ(θ̂)‖² by less than this fraction.
    public var relativeTolerance: Double = 1e-12
    /// At most this many sweeps over all nodes.
    public var maxSweeps: Int = 50
    /// Half-width, in binades (factors of 2), of the λ window searched for channel groups tied across a residual
    /// join (and for groups whose consumers use different grids): λ ∈ [λ₀·2^−W, λ₀·2^W] around the group's current
    /// least-squares scale λ₀.
    public var tiedWindowBinades: Double = 3
    /// For such groups, search the whole range of λ instead of the window when every grid is bounded and the
    /// whole range has at most this many breakpoints (tiny formats and small integer grids).
    public var tiedFullRangeMaxEvents: Int = 12_000
    /// At most this many breakpoints per tied-group line search: the window is halved until it has no more (wide
    /// formats such as bf16 or fp16 have 2^(p−1) breakpoints per binade and parameter), and the search is skipped
    /// (node-wise steps only) below 10⁻⁶ binades.
    public var tiedMaxEvents: Int = 60_000
    /// Refinement rounds (exact node-wise block steps) after each tied group's line search.
    public var tiedRefinementRounds: Int = 4
    /// Graphs with more parameter edges than this (``GraphNetwork/parameterEdgeBound``, e.g. about 10⁵ for the
    /// digits ResNet, 4·10⁷ for a CIFAR ResNet-20) do not evaluate every piece of a tied group's window: the
    /// pieces are ranked by a separable model of the metric and only the best ``tiedCandidates`` are evaluated
    /// exactly (each piece costs an evaluation over the edges downstream of the group, which makes the exhaustive
    /// search hours long at that size); the per-group refinement is replaced by one node-wise step per node and
    /// sweep.
    public var tiedExactMaxEdges: Int = 4_000_000
    /// Pieces evaluated exactly per tied-group step on graphs above ``tiedExactMaxEdges``.
    public var tiedCandidates: Int = 3
    /// Options of the per-channel solver (its thread count is forced to 1: channels run in parallel).
    public var channel = ChannelProblem.Options(threads: 1)
    /// Called after every step (a channel, a tied group, or a node's remaining parameters; on a perceptron, a
    /// hidden neuron) with the current quantized graph (a test hook; slow).
    public var afterStep: (@Sendable (GraphNetwork) -> Void)? = nil
    /// Called before each descent with ‖Φ(θ) − Φ(start)‖² of its start (cd may descend from several grid choices;
    /// a test hook).
    public var beforeDescent: (@Sendable (Double) -> Void)? = nil
    /// Called during long runs with where the run is (stage, sweep, node or layer, time left in the sweep; at
    /// most four times a second, plus once per sweep): the CLI's progress line. `data` reports its cd start and
    /// its own sweeps through the callback of ``GraphDataAwareOptions/pathMetric``.
    public var progress: (@Sendable (QuantizationProgress) -> Void)? = nil
    /// Default options.
    public init() {}
}

/// A quantized graph and its distance to the original.
public struct GraphQuantizationResult: Sendable {
    /// The method that produced it (for a calibrated method, see ``calibrated``).
    public var method: QuantizationMethod
    /// The calibrated method that produced it (`nil`: the data-free ``method``).
    public var calibrated: CalibratedMethod? = nil
    /// The quantized graph, batch normalization folded (every conv2d/linear weight on its node's weight grid,
    /// every bias on its bias grid). It computes (approximately) the input's function; its channels are scaled as
    /// the method chose (a member of the input's rescaling orbit, rounded).
    public var network: GraphNetwork
    /// Whether the input had batch normalization that was folded first.
    public var foldedBatchNorm: Bool
    /// The grids used, per node.
    public var grids: GraphNodeGrids
    /// ‖Φ(θ) − Φ(θ̂)‖₂ (θ: the folded input).
    public var l2PathMetric: Double
    /// ‖Φ(θ) − Φ(θ̂)‖₂ / ‖Φ(θ)‖₂.
    public var relativeL2PathMetric: Double
    /// Coordinate-descent sweeps run (0 for the other methods).
    public var sweeps: Int
    /// ‖Φ(θ) − Φ(θ̂)‖₂ after each coordinate-descent sweep (the first entry is the chosen start).
    public var history: [Double]
    /// For a perceptron, per hidden layer and neuron, the factor its incoming parameters were scaled by before
    /// rounding, relative to the input (CLE: the equalization factors; the other methods: the least-squares fit of
    /// the quantized incoming parameters to the correspondingly rescaled original ones; RTN: 1). Empty for other
    /// graphs.
    public var scalings: [[Double]] = []
    /// What the user should know about the answer (e.g. that the path-metric's optimum was the zero network and a
    /// usable start was returned instead); empty as a rule.
    public var notes: [String] = []
    /// For `data`, the candidate it descended from (``GraphDataAwareResult/start``); `nil` otherwise.
    public var calibrationStart: String? = nil
    /// For `data`, Σ over the calibration inputs and outputs of (R_θ̂(x) − R_θ(x))² at the start and after each
    /// refinement sweep; empty otherwise.
    public var calibrationErrors: [Double] = []
}

/// Quantizers for convolutional and residual ReLU networks (``GraphNetwork``): round-to-nearest, cross-layer
/// equalization (M. Nagel et al., *Data-free quantization through weight equalization and bias correction*, arXiv
/// 1906.04721) and exact coordinate descent on the ℓ² path-metric ‖Φ(θ) − Φ(θ̂)‖₂ (A. Gonon et al., arXiv
/// 2310.01225 and 2405.15006; docs/Theory.md §4; the derivation for graphs is in `GraphCoordinateDescent.swift`).
///
/// Batch normalization is folded into the preceding convolution or dense node first (automatically; the result
/// says so in ``GraphQuantizationResult/foldedBatchNorm``), so the quantized graph has none. Grids: one weight and
/// one bias grid per conv2d/linear node (``GraphGridSpec``).
public enum GraphQuantizer {
    /// Quantizes `graph` with `method` on `grids`.
    ///
    /// - `rtn`: every weight and bias rounded to nearest (integer steps from the input).
    /// - `cle`: ``crossLayerEqualized(_:)`` to its fixed point, then RTN (steps from the equalized graph).
    /// - `cd`: exact coordinate descent on the ℓ² path-metric from the best of several rescaling-independent starts
    ///   (see `bestCoordinateDescent`); the result does not depend on how the input's channels are scaled.
    /// - `exact` (one hidden layer: the global minimum of the ℓ² path-metric) and `l2r` (left to right): for
    ///   multilayer perceptrons; other graphs get ``GraphError/unsupported(_:)``, suggesting `cd`.
    ///
    /// A multilayer perceptron (a linear/relu chain, ``perceptronWidths``) goes to the dense-chain solvers
    /// (``DenseChain``): every method there works a hidden neuron at a time with the exact weighted rank-one step
    /// and the blocked dense kernel; other graphs work a channel group at a time (``ChannelProblem``).
    ///
    /// - Complexity: RTN O(P) for P parameters; CLE O(P) per equalization sweep; cd per sweep one channel problem
    ///   per hidden channel (O(E log E) in its breakpoints E) plus O(edges) path passes per node, plus
    ///   O(breakpoints × edges) for each channel group tied across a residual join.
    /// - Throws: ``GraphError/unsupported(_:)`` for `exact`/`l2r` or batch norms that cannot be folded;
    ///   ``FormatError`` for invalid grids.
    public static func quantize(_ graph: GraphNetwork, method: QuantizationMethod, grids: GraphGridSpec,
                                options: GraphCoordinateDescentOptions = .init()) throws -> GraphQuantizationResult {
        let folded = try graph.foldingBatchNorm()
        if grids.weights.isPerChannel, method != .rtn, method != .cle {
            throw GraphError.unsupported("method '\(method.rawValue)' needs one weight grid per layer; per-channel "
                                         + "formats (…/ch) work with rtn, cle, gptq and data")
        }
        if !grids.weights.isPerChannel, let chain = DenseChain(folded) {
            return try usable(try result(of: try DenseChainQuantizer.quantize(chain, method: method, grids: grids,
                                                                              options: options),
                                         method: method, original: folded, foldedBatchNorm: graph.hasBatchNorm),
                              original: folded, grids: grids)
        }
        let quantized: GraphNetwork, used: GraphNodeGrids
        var history: [Double] = [], sweeps = 0
        switch method {
        case .rtn:
            used = try grids.resolve(for: folded)
            quantized = roundToNearest(folded, used)
        case .cle:
            let eq = try crossLayerEqualized(folded)
            used = try grids.resolve(for: eq)
            quantized = roundToNearest(eq, used)
        case .exact, .leftToRight:
            throw GraphError.unsupported("method '\(method.rawValue)' needs a multilayer perceptron (a chain of "
                                         + "linear and relu nodes); for convolutional or residual graphs use 'cd' "
                                         + "(exact coordinate descent on the l2 path-metric), 'cle' or 'rtn'")
        case .coordinateDescent:
            let cd = try bestCoordinateDescent(folded, grids: grids, options: options)
            quantized = cd.network
            used = cd.grids
            history = cd.history
            sweeps = cd.sweeps
        }
        return try usable(try result(method: method, original: folded, quantized: quantized,
                                     foldedBatchNorm: graph.hasBatchNorm, grids: used, sweeps: sweeps,
                                     history: history, scalings: []), original: folded, grids: grids)
    }

    /// `r`, unless it is the zero function (every path of Φ(θ̂) zero: the output does not depend on the input and
    /// is 0) while RTN's is not: the ℓ² path-metric can prefer 0 to every rounding when the grid is coarse for the
    /// weights (‖Φ(θ) − 0‖ < ‖Φ(θ) − Φ(RTN)‖), but a zero network is of no use. Then RTN's answer is returned,
    /// with a note saying so. O(E).
    static func usable(_ r: GraphQuantizationResult, original folded: GraphNetwork,
                       grids: GraphGridSpec) throws -> GraphQuantizationResult {
        guard r.method != .rtn, try GraphPathLifting.pathNorm(r.network, q: 2) == 0 else { return r }
        let g = try grids.resolve(for: folded)
        let rtn = roundToNearest(folded, g)
        guard try GraphPathLifting.pathNorm(rtn, q: 2) > 0 else { return r }
        var out = try result(method: .rtn, original: folded, quantized: rtn, foldedBatchNorm: r.foldedBatchNorm,
                             grids: g, sweeps: 0, history: [], scalings: [])
        out.method = r.method
        out.notes.append("\(r.method.rawValue)'s best answer is the zero network (relative l2 path-metric "
                         + "\(NumberText.fixed(r.relativeL2PathMetric, 4)), rtn's \(NumberText.fixed(out.relativeL2PathMetric, 4))): "
                         + "returned rtn's instead; a format with a scale (e.g. NAME/tensor) may suit these weights")
        return out
    }

    /// The graph result of a dense-chain solver's answer for the perceptron `folded` (its linear nodes replaced).
    /// O(E).
    static func result(of r: DenseChainResult, method: QuantizationMethod, original folded: GraphNetwork,
                       foldedBatchNorm: Bool) throws -> GraphQuantizationResult {
        try result(method: method, original: folded, quantized: folded.replacingDenseLayers(r.network),
                   foldedBatchNorm: foldedBatchNorm, grids: GraphNodeGrids(folded, perLayer: r.grids),
                   sweeps: r.sweeps, history: r.history, scalings: r.scalings.factors)
    }

    /// A result with its ℓ² path-metric against `original` (batch-norm free) computed. O(E).
    static func result(method: QuantizationMethod, original folded: GraphNetwork, quantized: GraphNetwork,
                       foldedBatchNorm: Bool, grids used: GraphNodeGrids, sweeps: Int, history: [Double],
                       scalings: [[Double]]) throws -> GraphQuantizationResult {
        let metric = try GraphPathLifting.l2PathMetric(folded, quantized)
        let norm = try GraphPathLifting.pathNorm(folded, q: 2)
        return GraphQuantizationResult(method: method, network: quantized, foldedBatchNorm: foldedBatchNorm,
                                       grids: used, l2PathMetric: metric,
                                       relativeL2PathMetric: norm > 0 ? metric / norm : 0, sweeps: sweeps,
                                       history: history, scalings: scalings)
    }

    /// Every conv2d/linear weight of node n rounded to `grids.weights[n]`, every bias to `grids.biases[n]`. O(P).
    public static func roundToNearest(_ graph: GraphNetwork, _ grids: GraphNodeGrids) -> GraphNetwork {
        var out = graph
        for n in graph.nodes.indices where graph.nodes[n].operation.isAffine {
            out.nodes[n].weight = grids.roundWeights(n, graph.nodes[n].weight)
            out.nodes[n].bias = grids.bias(n).round(graph.nodes[n].bias)
        }
        return out
    }

    /// Cross-layer equalization for graphs (M. Nagel et al., arXiv 1906.04721, generalized to channel groups): for
    /// each ``ChannelGroup``, r₁ = max |weight| over the incoming kernel slices of all its incoming members (weights
    /// only, as in the paper) and r₂ = max |weight| over every parameter reading it; the incoming parameters
    /// (weights and biases) are multiplied by λ = √(r₂/r₁) and the outgoing ones divided by it, which makes both
    /// ranges √(r₁r₂) (the dense-chain solver's s = √(r₁/r₂) = 1/λ, ``DenseChainQuantizer/crossLayerEqualized(_:)``, which perceptrons use). Groups are
    /// visited in order and the sweeps repeated until max |log λ| < 1e-14, i.e. to the fixed point, which is the
    /// same for every member of the rescaling orbit (tested), or 10,000 sweeps. Groups without weights on one side
    /// are left alone. The function is unchanged; batch normalization must be folded first.
    ///
    /// - Complexity: O(P) per sweep.
    /// - Throws: ``GraphError/unsupported(_:)`` with batch normalization.
    public static func crossLayerEqualized(_ graph: GraphNetwork) throws -> GraphNetwork {
        try crossLayerEqualizedCounting(graph).network
    }

    /// ``crossLayerEqualized(_:)`` that also returns the sweeps run and the last sweep's max |log λ|.
    static func crossLayerEqualizedCounting(_ graph: GraphNetwork, tolerance: Double = 1e-14,
                                            maxSweeps: Int = 10_000) throws
        -> (network: GraphNetwork, sweeps: Int, residual: Double) {
        let groups = try graph.channelGroups
        var net = graph
        let incoming = groups.map { g in g.incoming.map { (node: $0.node, range: graph.incomingWeightIndices($0)) } }
        let outgoing = groups.map { g in g.outgoing.map { (node: $0.node, indices: graph.outgoingWeightIndices($0)) } }
        var sweeps = 0, residual = 0.0
        for _ in 0..<maxSweeps {
            sweeps += 1
            var worst = 0.0
            for (k, group) in groups.enumerated() {
                var r1 = 0.0, r2 = 0.0
                for m in incoming[k] { for p in m.range { r1 = max(r1, abs(net.nodes[m.node].weight[p])) } }
                for m in outgoing[k] { for p in m.indices { r2 = max(r2, abs(net.nodes[m.node].weight[p])) } }
                guard r1 > 0, r2 > 0 else { continue }
                let lambda = (r2 / r1).squareRoot()
                guard lambda.isFinite, lambda > 0, lambda != 1 else { continue }
                net.scale(group, by: lambda)
                worst = max(worst, abs(log(lambda)))
            }
            residual = worst
            if worst < tolerance { break }
        }
        return (net, sweeps, residual)
    }

    /// The graph rescaled so that each group's largest incoming |parameter|, measured in units of the largest
    /// finite value of its node's grid (1 for unbounded grids), is 1: a member of the orbit that uses the formats'
    /// whole range, a rescaling-independent starting point for RTN when applied to the normal form. Groups are
    /// visited in order, counting, as ``GraphNetwork/normalForm()`` does, the biases and the weights that read the
    /// input, fixed channels or earlier groups. O(P).
    static func maxNormalized(_ graph: GraphNetwork, _ grids: GraphNodeGrids) throws -> GraphNetwork {
        let s = try graph.rescalingStructure()
        var out = graph
        func target(_ g: any NumberGrid) -> Double { g.maxFinite.isFinite && g.maxFinite > 0 ? g.maxFinite : 1 }
        for (k, group) in s.groups.enumerated() {
            var m = 0.0
            for member in group.incoming {
                let node = out.nodes[member.node], src = graph.sourceValues[member.node][0]
                let tw = target(grids.weight(member.node)), tb = target(grids.bias(member.node))
                m = max(m, abs(node.bias[member.channel]) / tb)
                for p in graph.incomingWeightIndices(member)
                where s.channelGroup[src][graph.inputChannel(ofWeight: p, node: member.node)] < k {
                    m = max(m, abs(node.weight[p]) / tw)
                }
            }
            guard m > 0, m.isFinite, (1 / m).isFinite else { continue }
            out.scale(group, by: 1 / m)
        }
        return out
    }

    /// Coordinate descent from every rescaling-independent start, keeping the best end point (the graph version
    /// of the dense-chain solver's `bestCoordinateDescent`).
    ///
    /// Grid choices: those of the ``GraphNetwork/normalForm()`` and, when they differ (integer grids with per-node
    /// steps), those of the cross-layer-equalized normal form, the grids CLE rounds to. Starts on each choice: RTN
    /// of the normal form, RTN of the max-normalized normal form (each group scaled so that its largest incoming
    /// |parameter| is the grid's largest finite value) and RTN of the equalized normal form (CLE's answer). The
    /// best start of each choice (by the ℓ² path-metric) is descended; the best end point wins. Every candidate
    /// depends only on the rescaling orbit, so the result is independent of the input's scaling, and it is never
    /// worse than any start: in particular never worse than CLE (up to CLE's fixed-point tolerance).
    static func bestCoordinateDescent(_ graph: GraphNetwork, grids: GraphGridSpec,
                                      options: GraphCoordinateDescentOptions) throws
        -> (network: GraphNetwork, grids: GraphNodeGrids, history: [Double], sweeps: Int) {
        let normal = try graph.normalForm().network
        let equalized = try crossLayerEqualized(normal)
        let gNormal = try grids.resolve(for: normal), gEqualized = try grids.resolve(for: equalized)
        var choices = [gNormal]
        if !gNormal.same(as: gEqualized) { choices.append(gEqualized) }
        var best: (network: GraphNetwork, grids: GraphNodeGrids, history: [Double], sweeps: Int)?
        var bestValue = Double.infinity
        for g in choices {
            let starts = [roundToNearest(normal, g), roundToNearest(try maxNormalized(normal, g), g),
                          roundToNearest(equalized, g)]
            let values = try starts.map { try GraphPathLifting.squaredL2PathMetric(normal, $0) }
            let first = values.indices.min { values[$0] < values[$1] }!
            options.beforeDescent?(values[first])
            let cd = try coordinateDescent(normal, start: starts[first], grids: g, options: options)
            let value = try GraphPathLifting.squaredL2PathMetric(normal, cd.network)
            if value < bestValue || best == nil {
                bestValue = value
                best = (cd.network, g, cd.history, cd.sweeps)
            }
        }
        return best!
    }
}
