extension GraphNetwork {
    /// An upper bound on the number of edges of the path-lifting DAG carrying a parameter (every output element of
    /// a conv2d node times its kernel's inputs, padding included; fin·fout for a dense node): the size measure that
    /// decides whether a tied group's line search evaluates every piece exactly. O(nodes).
    var parameterEdgeBound: Int {
        nodes.reduce(0) { total, node in
            switch node.operation {
            case .conv2d(let g):
                return total + node.outputShape.reduce(1, *) * g.inPerGroup * g.kernelArea
            case .linear(let fin, let fout):
                return total + fin * fout
            default:
                return total
            }
        }
    }
}

extension GraphQuantizer {
    /// A tied group's step on a large graph (above ``GraphCoordinateDescentOptions/tiedExactMaxEdges``): the
    /// same family and window as ``tiedGroupStep(_:_:group:index:plan:grids:options:)``, but the pieces are
    /// ranked by ``separableFamilyModel(_:reference:norms:pieces:current:)`` and only the best
    /// ``GraphCoordinateDescentOptions/tiedCandidates`` that the model prefers to the current point are evaluated
    /// exactly, best first; the first that lowers the metric is taken. So the step never increases the metric, and
    /// it is not exact even within the window. `metric` is the exact evaluator of q, kept across the steps of one
    /// node (its reference is aligned once per node: the value does not depend on the alignment, only the
    /// conditioning of its recurrence does); it follows q when a piece is taken.
    ///
    /// - Complexity: O(K log K) for the K breakpoints, O(edges of the group's parameters) for the model, and per
    ///   evaluated piece the edges reached from the group (at most all edges).
    static func tiedGroupModelStep(_ net: GraphNetwork, _ q: inout GraphNetwork, group: ChannelGroup, index k: Int,
                                   plan: GraphDescentPlan, grids: GraphNodeGrids, norms: GroupSearchNorms,
                                   metric: inout IncrementalPathMetric, options: GraphCoordinateDescentOptions) throws {
        let ref = try GraphPathLifting.aligned(net, to: q)
        let params = groupFamily(ref, group: group, index: k, structure: plan.structure)
        let window = FamilyWindow(binades: options.tiedWindowBinades, maxEvents: options.tiedMaxEvents,
                                  fullRangeMaxEvents: options.tiedFullRangeMaxEvents)
        guard let pieces = familyPieces(params, reference: ref, current: q, grids: grids, window: window) else { return }
        let model = separableFamilyModel(params, reference: ref, norms: norms, pieces: pieces, current: q)
        let candidates = smallestIndices(model.pieces, max(options.tiedCandidates, 1))
            .filter { model.pieces[$0] < model.current }
        guard !candidates.isEmpty else { return }
        let currentValue = metric.objective()
        // Candidates are evaluated two at a time on both cores, each on its own copy of the evaluator; the first
        // in the model's order that lowers the metric is taken, as one at a time would.
        let base = metric
        var next = 0
        while next < candidates.count {
            let batch = Array(candidates[next..<min(next + 2, candidates.count)])
            next += batch.count
            let evaluated: [(metric: IncrementalPathMetric, value: Double)] = parallelMap(batch.count) { t in
                var ev = base
                for (i, value) in pieces.values(atPiece: batch[t]).enumerated() { ev.set(params[i].p, value) }
                let value = ev.objective()
                return (ev, value)
            }
            for (t, r) in batch.enumerated() where evaluated[t].value < currentValue - 1e-13 * abs(currentValue) {
                for (i, value) in pieces.values(atPiece: r).enumerated() { params[i].p.set(value, in: &q) }
                metric = evaluated[t].metric
                options.afterStep?(q)
                return
            }
        }
    }

    /// The separable model of the ℓ² path-metric along a group's rescaling family, used to choose which pieces a
    /// large graph's tied-group step evaluates exactly (``tiedGroupStep(_:_:group:index:plan:grids:options:)``).
    ///
    /// With everything else fixed, the squared metric is a quadratic in each single parameter p of θ̂:
    /// a_p·v² − 2·b_p·v + const, with a_p = Σ over p's edges s → t of N̂(s)·M̂(t) (for a bias, Σ_t M̂(t)): the
    /// squared norm of the paths through p with p removed, at the current point (``GraphPathQuantities``). Dropping
    /// the terms that couple two parameters of the group gives Σ_p a_p (v_p − z_p)², the weighted squared rounding
    /// error, with z the reference aligned to θ̂ (so that the current point is λ ≈ λ₀). Along the family the
    /// weights move with λ: rescaling the group by λ/λ₀ multiplies the squared norms of the paths beyond an
    /// incoming parameter by (λ₀/λ)² and those before an outgoing one by (λ/λ₀)², so in the frame of z
    ///   f(λ) = λ₀² Σ_in a_p (z_p − v_p/λ)² + λ₀⁻² Σ_out a_p (z_p − λ·v_p)²,
    /// with v = (Q(λz_p) | Q(z_p/λ)) the piece's values. This is a model, not the metric: the cross terms (paths
    /// through two parameters of the group, e.g. across a residual join, or through two of its readers' weights
    /// at the same output) are left out. It only ranks pieces; the step evaluates its best few exactly.
    ///
    /// - Returns: for each piece, the smallest of f at the piece's two ends and at their geometric mean (one end
    ///   for the outer pieces of an unbounded range); and f at λ₀ for θ̂'s current values of the parameters
    ///   (which need not lie on the family).
    /// - Complexity: O(E) for the weights (E: the edges of the group's parameters), then O(1) per event.
    static func separableFamilyModel(_ params: [(p: GraphParameter, sign: Int)], reference ref: GraphNetwork,
                                     norms: GroupSearchNorms, pieces: FamilyPieces, current q: GraphNetwork)
        -> (pieces: [Double], current: Double) {
        let lambda0 = familyScale(params, reference: ref, current: q)
        var a = [Double](repeating: 0, count: params.count)
        for (i, item) in params.enumerated() {
            let p = item.p, n = p.node, M = norms.backward[n + 1]
            if p.isBias {
                let spatial = ref.spatialSize(ofValue: n + 1)
                for t in (p.index * spatial)..<((p.index + 1) * spatial) { a[i] += M[t] }
            } else {
                let N = norms.forward[ref.sourceValues[n][0]]
                var s = 0.0
                ref.forEachEdge(n, ofWeight: p.index) { out, input in s += N[input] * M[out] }
                a[i] = s
            }
        }
        let z = params.map { $0.p.value(in: ref) }
        // f(λ) = l0²(cIn − 2·inZV/λ + inVV/λ²) + (cOut − 2λ·outZV + λ²·outVV)/l0².
        var cIn = 0.0, cOut = 0.0, inZV = 0.0, inVV = 0.0, outZV = 0.0, outVV = 0.0
        /// Sets the sums to those of the values `v`.
        func accumulate(_ v: [Double]) {
            cIn = 0; cOut = 0; inZV = 0; inVV = 0; outZV = 0; outVV = 0
            for i in params.indices {
                if params[i].sign > 0 {
                    cIn += a[i] * z[i] * z[i]; inZV += a[i] * z[i] * v[i]; inVV += a[i] * v[i] * v[i]
                } else {
                    cOut += a[i] * z[i] * z[i]; outZV += a[i] * z[i] * v[i]; outVV += a[i] * v[i] * v[i]
                }
            }
        }
        let l2 = lambda0 * lambda0
        func f(_ lambda: Double) -> Double {
            l2 * (cIn - 2 * inZV / lambda + inVV / (lambda * lambda))
                + (cOut - 2 * lambda * outZV + lambda * lambda * outVV) / l2
        }
        accumulate(params.map { $0.p.value(in: q) })
        let current = f(lambda0)
        var v = pieces.start
        accumulate(v)
        var model = [Double](repeating: .infinity, count: pieces.pieceEnds.count)
        for r in pieces.pieceEnds.indices {
            if r > 0 {
                for e in pieces.pieceEnds[r - 1]..<pieces.pieceEnds[r] {
                    let event = pieces.events[e], i = Int(event.param)
                    let old = v[i], new = event.value
                    if params[i].sign > 0 {
                        inZV += a[i] * z[i] * (new - old); inVV += a[i] * (new * new - old * old)
                    } else {
                        outZV += a[i] * z[i] * (new - old); outVV += a[i] * (new * new - old * old)
                    }
                    v[i] = new
                }
            }
            let lo = r > 0 ? pieces.events[pieces.pieceEnds[r] - 1].lambda : 0
            let hi = pieces.pieceEnds[r] < pieces.events.count ? pieces.events[pieces.pieceEnds[r]].lambda : .infinity
            var best = Double.infinity
            for lambda in [lo, hi, (lo * hi).squareRoot()] where lambda > 0 && lambda.isFinite {
                best = min(best, f(lambda))
            }
            model[r] = best
        }
        return (model, current)
    }

    /// The indices of the `k` smallest finite values (ascending; ties to the lower index). O(n·k).
    static func smallestIndices(_ values: [Double], _ k: Int) -> [Int] {
        var kept: [Int] = []
        for i in values.indices where values[i].isFinite {
            if kept.count == k, values[i] >= values[kept[k - 1]] { continue }
            let at = kept.firstIndex { values[i] < values[$0] } ?? kept.count
            kept.insert(i, at: at)
            if kept.count > k { kept.removeLast() }
        }
        return kept
    }
}

/// N̂ = ‖P̂‖² and M̂ = ‖Ŝ‖² of every value element of θ̂ (``GraphPathQuantities``' norm halves): the weights of the
/// separable model, shared by the tied-group steps of one node (computed before them; the steps in between change
/// them a little, which only affects which pieces are evaluated exactly).
struct GroupSearchNorms {
    /// N̂ per value and element.
    var forward: [[Double]]
    /// M̂ per value and element.
    var backward: [[Double]]

    /// The norms of `q` (batch-norm free): two O(E) passes, run concurrently.
    init(_ q: GraphNetwork) {
        (forward, backward) = parallelPair({ GraphPathLifting.forwardSums(q, q, *) },
                                           { GraphPathLifting.backwardSums(q, q, *) })
    }
}
