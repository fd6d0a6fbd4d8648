#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension GraphQuantizer {
    /// One group's step by exact evaluation along its rescaling family, for the groups whose terms are not of the
    /// ``ChannelProblem`` form: channels tied across a residual `add` (several incoming members; paths may cross the
    /// group twice) and groups whose readers use different grids.
    ///
    /// The family is ẑ_p(λ) = Q(λ z_p) for the group's incoming parameters and Q(z_p/λ) for its outgoing ones (z:
    /// the reference aligned to θ̂; a weight that is both, reading the group it writes, is left as it is). It is
    /// piecewise constant in λ with breakpoints β/|z_p| and |z_p|/β at the rounding boundaries β of each grid. The
    /// window is λ ∈ [λ₀·2^−W, λ₀·2^W], W = ``GraphCoordinateDescentOptions/tiedWindowBinades``, around the
    /// group's current least-squares scale λ₀ = ⟨ẑ_in, z_in⟩/‖z_in‖², or all λ > 0 when every grid is bounded and
    /// the whole range has at most ``GraphCoordinateDescentOptions/tiedFullRangeMaxEvents`` breakpoints. The
    /// breakpoints are sorted and walked in order; ‖Φ(θ) − Φ(θ̂(λ))‖² is evaluated exactly once per piece with an
    /// ``IncrementalPathMetric`` (which propagates only the changes), the sorted pieces split in two halves on
    /// two threads. The best piece replaces θ̂'s values only if it is better than the current point, so the step
    /// never increases the metric; it is **exact within the window, not globally** (outside the window and off the
    /// family nothing is tried). Then up to ``GraphCoordinateDescentOptions/tiedRefinementRounds`` rounds of exact
    /// node-wise block steps on the group's parameters (``nodeStep(_:_:parameters:grids:)``).
    ///
    /// - Complexity: O(K log K) to sort K breakpoints, plus per piece the edges reached from the changed parameter
    ///   (at most O(edges)), plus O(edges) per refinement node step.
    static func tiedGroupStep(_ net: GraphNetwork, _ q: inout GraphNetwork, group: ChannelGroup, index k: Int,
                              plan: GraphDescentPlan, grids: GraphNodeGrids,
                              options: GraphCoordinateDescentOptions) throws {
        let ref = try GraphPathLifting.aligned(net, to: q)
        let params = groupFamily(ref, group: group, index: k, structure: plan.structure)
        let window = FamilyWindow(binades: options.tiedWindowBinades, maxEvents: options.tiedMaxEvents,
                                  fullRangeMaxEvents: options.tiedFullRangeMaxEvents)
        guard let pieces = familyPieces(params, reference: ref, current: q, grids: grids, window: window) else {
            // Too fine a grid for any window: only the node-wise refinement.
            try refineGroup(net, &q, params: params.map(\.p), grids: grids, options: options)
            return
        }
        var base = IncrementalPathMetric(reference: ref, quantized: q)
        let currentValue = base.objective()
        guard let best = pieces.bestPiece(params.map(\.p), from: base),
              best.value < currentValue - 1e-13 * abs(currentValue) else {
            try refineGroup(net, &q, params: params.map(\.p), grids: grids, options: options)
            return
        }
        for (i, value) in pieces.values(atPiece: best.piece).enumerated() { params[i].p.set(value, in: &q) }
        options.afterStep?(q)
        try refineGroup(net, &q, params: params.map(\.p), grids: grids, options: options)
    }

    /// The group's current least-squares scale λ₀ = ⟨ẑ_in, z_in⟩/‖z_in‖² of `current` against `reference` over
    /// its incoming parameters (1 if that is not a positive number). O(group size).
    static func familyScale(_ params: [(p: GraphParameter, sign: Int)], reference ref: GraphNetwork,
                            current q: GraphNetwork) -> Double {
        var num = 0.0, den = 0.0
        for item in params where item.sign > 0 {
            let z = item.p.value(in: ref)
            num += item.p.value(in: q) * z; den += z * z
        }
        let lambda0 = den > 0 ? num / den : 1
        return lambda0 > 0 && lambda0.isFinite ? lambda0 : 1
    }

    /// The pieces of a group's rescaling family in its window: λ ∈ [λ₀·2^−W, λ₀·2^W] around the current
    /// least-squares scale λ₀ = ⟨ẑ_in, z_in⟩/‖z_in‖² of `current` against `reference` (halved while it has more
    /// than `window.maxEvents` breakpoints), or all λ > 0 when every grid is bounded and the whole range has at
    /// most `window.fullRangeMaxEvents`. `nil` when even a 10⁻⁶-binade window is too fine. O(K log K) for K
    /// breakpoints.
    static func familyPieces(_ params: [(p: GraphParameter, sign: Int)], reference ref: GraphNetwork,
                             current q: GraphNetwork, grids: GraphNodeGrids, window: FamilyWindow) -> FamilyPieces? {
        let z = params.map { $0.p.value(in: ref) }
        let gridsOf = params.map { $0.p.grid(grids, in: q) }
        let lambda0 = familyScale(params, reference: ref, current: q)

        // The range: everything when small and bounded, else the window (halved while it has too many breakpoints).
        let bounded = gridsOf.allSatisfy { $0.maxFinite.isFinite }
        var fullCount = 0.0
        for (i, g) in gridsOf.enumerated() where z[i] != 0 { fullCount += Double(g.positiveValueCount ?? Int.max) }
        var full = bounded && fullCount <= Double(window.fullRangeMaxEvents)
        var binades = max(window.binades, 0)
        let budget = max(window.maxEvents, 1)
        // A first cut for fine float grids (about 1/(2u) breakpoints per binade), so that no window is generated
        // only to be refused; the exact count is checked while generating.
        func estimate(_ w: Double) -> Double {
            var total = 0.0
            for (i, g) in gridsOf.enumerated() where z[i] != 0 {
                total += min(Double(g.positiveValueCount ?? Int.max), w / g.unitRoundoff + 1)
            }
            return total
        }
        if !full { while binades >= 1e-6 && estimate(binades) > Double(budget) { binades /= 2 } }
        while true {
            let width = pow(2, binades)
            let lo = full ? 0 : lambda0 / width, hi = full ? Double.infinity : lambda0 * width
            if var generated = groupEvents(z: z, signs: params.map(\.sign), grids: gridsOf, lo: lo, hi: hi,
                                           budget: budget) {
                generated.events.sort { $0.lambda < $1.lambda }
                return FamilyPieces(start: generated.start, events: generated.events)
            }
            if full { full = false; continue }
            binades /= 2
            guard binades >= 1e-6 else { return nil }
        }
    }

    /// The family's values at λ = lo and its breakpoints in (lo, hi) (unsorted: λ, parameter, value after it), or
    /// `nil` as soon as there are more than `budget`. lo = 0, hi = ∞ means the whole range (bounded grids only).
    static func groupEvents(z: [Double], signs: [Int], grids: [any NumberGrid], lo: Double, hi: Double, budget: Int)
        -> (start: [Double], events: [(lambda: Double, param: Int32, value: Double)])? {
        var startValues = [Double](repeating: 0, count: z.count)
        var events: [(lambda: Double, param: Int32, value: Double)] = []
        var overflow = false
        for i in z.indices where z[i] != 0 {
            let g = grids[i], mag = abs(z[i]), sign: Double = z[i] < 0 ? -1 : 1
            if signs[i] > 0 {
                startValues[i] = g.round(lo * z[i])
                g.forEachBoundary(from: lo * mag, below: hi * mag) { beta, above in
                    let l = beta / mag
                    if l > lo && l < hi && !overflow {
                        events.append((l, Int32(i), sign * above))
                        if events.count > budget { overflow = true }
                    }
                }
            } else {
                startValues[i] = lo == 0 ? sign * g.maxFinite : g.round(z[i] / lo)
                g.forEachBoundary(from: hi.isFinite ? mag / hi : 0, below: lo > 0 ? mag / lo : .infinity) { beta, above in
                    let l = mag / beta
                    if l > lo && l < hi && !overflow {
                        events.append((l, Int32(i), sign * max(g.nextDown(above), 0)))
                        if events.count > budget { overflow = true }
                    }
                }
            }
            if overflow { return nil }
        }
        return (startValues, events)
    }

    /// A group's parameters with their exponent in the rescaling family: +1 for incoming ones (kernel slices and
    /// biases of the incoming members), −1 for outgoing ones (weights reading the group); a weight that is both
    /// (reading the group it writes, possible across a residual join) does not move and is left out. O(group size).
    static func groupFamily(_ ref: GraphNetwork, group: ChannelGroup, index k: Int,
                            structure s: RescalingStructure) -> [(p: GraphParameter, sign: Int)] {
        var params: [(p: GraphParameter, sign: Int)] = []
        for m in group.incoming {
            let src = ref.sourceValues[m.node][0]
            for p in ref.incomingWeightIndices(m)
            where s.channelGroup[src][ref.inputChannel(ofWeight: p, node: m.node)] != k {
                params.append((GraphParameter(node: m.node, index: p, isBias: false), 1))
            }
            params.append((GraphParameter(node: m.node, index: m.channel, isBias: true), 1))
        }
        for m in group.outgoing {
            let per = ref.nodes[m.node].weight.count / max(ref.nodes[m.node].bias.count, 1)
            for p in ref.outgoingWeightIndices(m) where s.channelGroup[m.node + 1][p / per] != k {
                params.append((GraphParameter(node: m.node, index: p, isBias: false), -1))
            }
        }
        return params
    }

    /// Up to `tiedRefinementRounds` rounds of exact node-wise block steps on a group's parameters.
    static func refineGroup(_ net: GraphNetwork, _ q: inout GraphNetwork, params: [GraphParameter],
                            grids: GraphNodeGrids, options: GraphCoordinateDescentOptions) throws {
        for _ in 0..<max(options.tiedRefinementRounds, 0) {
            guard try nodeStep(net, &q, parameters: params, grids: grids) else { break }
            options.afterStep?(q)
        }
    }
}

/// How far a line search along a channel group's rescaling family may go (see ``GraphQuantizer``'s
/// `familyPieces`).
struct FamilyWindow: Sendable {
    /// Half-width in binades around the current scale.
    var binades: Double
    /// At most this many breakpoints (the window is halved until it has no more).
    var maxEvents: Int
    /// Search all λ > 0 instead when every grid is bounded and there are at most this many breakpoints in all.
    var fullRangeMaxEvents: Int
}

/// An objective that follows single-parameter changes: what ``FamilyPieces/bestPiece(_:from:)`` evaluates.
protocol FamilyObjective {
    /// Sets one parameter.
    mutating func set(_ p: GraphParameter, _ value: Double)
    /// The objective at the current parameters.
    mutating func objective() -> Double
}

extension IncrementalPathMetric: FamilyObjective {
    /// ‖Φ(θ) − Φ(θ̂)‖².
    mutating func objective() -> Double { value() }
}

/// The sorted breakpoints of a group's rescaling family in a window: piece 0 is the family at the window's low
/// end (`start`, one value per family parameter), piece r the state after the events of the first r distinct λ.
struct FamilyPieces {
    /// The family's values at the low end of the window.
    var start: [Double]
    /// The breakpoints, sorted by λ: at λ, parameter `param` takes `value`.
    var events: [(lambda: Double, param: Int32, value: Double)]
    /// `pieceEnds[r]`: piece r is the state after `events[0..<pieceEnds[r]]`.
    var pieceEnds: [Int]

    /// Groups sorted events into pieces (equal λ move together).
    init(start: [Double], events: [(lambda: Double, param: Int32, value: Double)]) {
        self.start = start
        self.events = events
        var ends = [0], i = 0
        while i < events.count {
            var j = i + 1
            while j < events.count && events[j].lambda == events[i].lambda { j += 1 }
            ends.append(j)
            i = j
        }
        pieceEnds = ends
    }

    /// The family's values on piece r.
    func values(atPiece r: Int) -> [Double] {
        var values = start
        for e in 0..<pieceEnds[r] { values[Int(events[e].param)] = events[e].value }
        return values
    }

    /// The piece with the smallest objective (the first on ties), evaluating every piece once in λ order from
    /// `base` (the objective at the current parameters; the family's parameters are `params`, in order); the
    /// pieces are split in two halves on two threads when there are at least 64. `nil` if no value is finite.
    /// O(pieces + events) objective updates.
    func bestPiece<Objective: FamilyObjective>(_ params: [GraphParameter], from base: Objective)
        -> (value: Double, piece: Int)? {
        var startState = base
        for (i, p) in params.enumerated() { startState.set(p, start[i]) }
        let pieces = pieceEnds.count
        let halves = pieces >= 64 ? 2 : 1
        let cut = pieces / halves
        let results = parallelMap(halves) { h -> (value: Double, piece: Int) in
            var ev = startState
            let first = h * cut, last = h == halves - 1 ? pieces : (h + 1) * cut
            for e in 0..<pieceEnds[first] { ev.set(params[Int(events[e].param)], events[e].value) }
            var best = (value: Double.infinity, piece: -1)
            for r in first..<last {
                if r > first {
                    for e in pieceEnds[r - 1]..<pieceEnds[r] { ev.set(params[Int(events[e].param)], events[e].value) }
                }
                let v = ev.objective()
                if v < best.value { best = (v, r) }
            }
            return best
        }
        guard let best = results.min(by: { $0.value < $1.value }), best.piece >= 0 else { return nil }
        return best
    }
}
