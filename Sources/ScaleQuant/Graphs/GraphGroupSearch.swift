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
        let params = groupFamily(ref, group: group, index: k, plan: plan)
        let z = params.map { $0.p.value(in: ref) }
        let gridsOf = params.map { $0.p.grid(grids) }
        // The current least-squares scale of the incoming side.
        var num = 0.0, den = 0.0
        for (i, item) in params.enumerated() where item.sign > 0 {
            num += item.p.value(in: q) * z[i]; den += z[i] * z[i]
        }
        var lambda0 = den > 0 ? num / den : 1
        if !(lambda0 > 0 && lambda0.isFinite) { lambda0 = 1 }

        // The range: everything when small and bounded, else the window (halved while it has too many breakpoints).
        let bounded = gridsOf.allSatisfy { $0.maxFinite.isFinite }
        var fullCount = 0.0
        for (i, g) in gridsOf.enumerated() where z[i] != 0 { fullCount += Double(g.positiveValueCount ?? Int.max) }
        var full = bounded && fullCount <= Double(options.tiedFullRangeMaxEvents)
        var binades = max(options.tiedWindowBinades, 0)
        let budget = max(options.tiedMaxEvents, 1)
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
        var startValues = [Double](repeating: 0, count: params.count)
        var events: [(lambda: Double, param: Int32, value: Double)] = []
        while true {
            let width = pow(2, binades)
            let lo = full ? 0 : lambda0 / width, hi = full ? Double.infinity : lambda0 * width
            if let generated = groupEvents(z: z, signs: params.map(\.sign), grids: gridsOf, lo: lo, hi: hi,
                                           budget: budget) {
                (startValues, events) = generated
                break
            }
            if full { full = false; continue }
            binades /= 2
            guard binades >= 1e-6 else {
                // Too fine a grid for any window: only the node-wise refinement.
                try refineGroup(net, &q, params: params.map(\.p), grids: grids, options: options)
                return
            }
        }
        events.sort { $0.lambda < $1.lambda }
        // Piece boundaries: indices into events where a new λ starts (the start state is piece 0).
        var pieceEnds: [Int] = [0]
        var i = 0
        while i < events.count {
            var j = i + 1
            while j < events.count && events[j].lambda == events[i].lambda { j += 1 }
            pieceEnds.append(j)
            i = j
        }

        var base = IncrementalPathMetric(reference: ref, quantized: q)
        let currentValue = base.value()
        for (i, item) in params.enumerated() { base.set(item.p, startValues[i]) }
        // Evaluate every piece: piece r is the state after events[0..<pieceEnds[r]].
        let pieces = pieceEnds.count
        let halves = pieces >= 64 ? 2 : 1
        let cut = pieces / halves
        let startState = base
        let results = parallelMap(halves) { h -> (value: Double, piece: Int) in
            var ev = startState
            let first = h * cut, last = h == halves - 1 ? pieces : (h + 1) * cut
            for e in 0..<pieceEnds[first] { ev.set(params[Int(events[e].param)].p, events[e].value) }
            var best = (value: Double.infinity, piece: -1)
            for r in first..<last {
                if r > first {
                    for e in pieceEnds[r - 1]..<pieceEnds[r] { ev.set(params[Int(events[e].param)].p, events[e].value) }
                }
                let v = ev.value()
                if v < best.value { best = (v, r) }
            }
            return best
        }
        guard let best = results.min(by: { $0.value < $1.value }), best.piece >= 0,
              best.value < currentValue - 1e-13 * abs(currentValue) else {
            try refineGroup(net, &q, params: params.map(\.p), grids: grids, options: options)
            return
        }
        var values = startValues
        for e in 0..<pieceEnds[best.piece] { values[Int(events[e].param)] = events[e].value }
        for (i, item) in params.enumerated() { item.p.set(values[i], in: &q) }
        options.afterStep?(q)
        try refineGroup(net, &q, params: params.map(\.p), grids: grids, options: options)
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
                            plan: GraphDescentPlan) -> [(p: GraphParameter, sign: Int)] {
        let s = plan.structure
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
