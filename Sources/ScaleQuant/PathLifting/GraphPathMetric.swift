extension GraphPathLifting {
    /// The exact ℓ² path-metric ‖Φ(θ) − Φ(θ')‖₂, without cancellation (arXiv 2405.15006 for the metric; the
    /// recurrence is ours, docs/Theory.md §4).
    ///
    /// With Δ_e the restriction of Φ(θ) − Φ(θ') to the in-paths of value element e, E_e = ‖Δ_e‖²,
    /// G_e = ⟨Δ_e, Φ'_e⟩, B_e = ‖Φ'_e‖² (input elements: 0, 0, 1), every edge k → e of weights (w, w'), d = w − w'
    /// (a pooling or add coefficient c gives w = w' = c, d = 0), and a bias pair (b, b') of e:
    ///   E_e = Σ_k [w² E_k + 2 w d G_k + d² B_k] + (b − b')²,
    ///   G_e = Σ_k [w w' G_k + d w' B_k] + (b − b') b',
    ///   B_e = Σ_k w'² B_k + b'²,
    /// and ‖Φ − Φ'‖² = Σ_outputs E. Both graphs are first brought to ``GraphNetwork/normalForm()`` (Φ unchanged),
    /// so that for close graphs every term is of size ‖Δ‖·‖Φ‖ and the absolute error is ≈ u·‖Δ‖·‖Φ‖, not u·‖Φ‖².
    ///
    /// - Complexity: O(E) (edges), plus O(parameters) for the normal forms.
    /// - Throws: ``GraphError`` if the structures differ or a graph has batch normalization.
    public static func l2PathMetric(_ a: GraphNetwork, _ b: GraphNetwork) throws -> Double {
        max(try squaredL2PathMetric(a, b), 0).squareRoot()
    }

    /// ‖Φ(θ) − Φ(θ')‖₂² by the recurrence of ``l2PathMetric(_:_:)``. O(E).
    ///
    /// - Throws: as ``l2PathMetric(_:_:)``.
    public static func squaredL2PathMetric(_ a: GraphNetwork, _ b: GraphNetwork) throws -> Double {
        try checkPair(a, b)
        return squaredL2PathMetricAsGiven(try a.normalForm().network, try b.normalForm().network)
    }

    /// The E/G/B recurrence on the graphs as given (no normal form). O(E).
    static func squaredL2PathMetricAsGiven(_ a: GraphNetwork, _ b: GraphNetwork) -> Double {
        var E: [[Double]] = [[Double](repeating: 0, count: a.inputSize)]
        var G = E
        var B: [[Double]] = [[Double](repeating: 1, count: a.inputSize)]
        for n in a.nodes.indices {
            var e = [Double](repeating: 0, count: a.valueSize(n + 1)), g = e, bb = e
            metricStep(n, a, b, spatial: a.spatialSize(ofValue: n + 1), E: E, G: G, B: B, e: &e, g: &g, bb: &bb)
            E.append(e); G.append(g); B.append(bb)
        }
        return E[a.valueCount - 1].reduce(0, +)
    }

    /// One node of the E/G/B recurrence: overwrites `e`, `g`, `bb` (sized to node n's output) with E, G, B of node
    /// n's output, from those of its inputs in `E`, `G`, `B` (indexed by value; only n's sources are read).
    /// `spatial` is the number of elements per channel of the output (the bias index of element k is k / spatial).
    /// Shared by the full pass and ``GraphIncrementalMetric``. O(edges of n).
    static func metricStep(_ n: Int, _ a: GraphNetwork, _ b: GraphNetwork, spatial: Int,
                           E: [[Double]], G: [[Double]], B: [[Double]],
                           e: inout [Double], g: inout [Double], bb: inout [Double]) {
        let na = a.nodes[n], nb = b.nodes[n], size = e.count
        if na.operation.isAffine {
            for k in 0..<size {
                let x = na.bias[k / spatial], y = nb.bias[k / spatial], d = x - y
                e[k] = d * d; g[k] = d * y; bb[k] = y * y
            }
        } else {
            for k in 0..<size { e[k] = 0; g[k] = 0; bb[k] = 0 }
        }
        let c = a.edgeCoefficient(n), c2 = c * c
        let src = a.sourceValues[n], last = src[src.count - 1]
        let (e0, g0, b0) = (E[src[0]], G[src[0]], B[src[0]])
        let (e1, g1, b1) = (E[last], G[last], B[last])
        let wa = na.weight, wb = nb.weight
        e.withUnsafeMutableBufferPointer { ep in
            g.withUnsafeMutableBufferPointer { gp in
                bb.withUnsafeMutableBufferPointer { bp in
                    a.forEachEdge(n) { o, slot, i, p in
                        let (ek, gk, bk) = slot == 0 ? (e0[i], g0[i], b0[i]) : (e1[i], g1[i], b1[i])
                        if p >= 0 {
                            let w = wa[p], w2 = wb[p], d = w - w2
                            ep[o] += w * w * ek + 2 * w * d * gk + d * d * bk
                            gp[o] += w * w2 * gk + d * w2 * bk
                            bp[o] += w2 * w2 * bk
                        } else {
                            ep[o] += c2 * ek; gp[o] += c2 * gk; bp[o] += c2 * bk
                        }
                    }
                }
            }
        }
    }

    /// An upper bound on the ℓ¹ path-metric ‖Φ(θ) − Φ(θ')‖₁ when the signs agree (docs/Theory.md §4, our derivation):
    /// ‖Φ(max(|θ|,|θ'|))‖₁ − ‖Φ(min(|θ|,|θ'|))‖₁, since each path's |Πθ − Πθ'| lies between the products of the
    /// entrywise minima and maxima. The expression is not rescaling-invariant (Φ is), so it is evaluated on the
    /// normal forms of both graphs — which makes the result invariant — and also with the second normal form
    /// rescaled group by group to match the first in least squares (positive factors: Φ and signs unchanged); the
    /// smaller (both are valid) is returned. Each evaluation is one cancellation-free pass: with U, L the ℓ¹
    /// in-path sums of the max and min graphs, D = U − L obeys D_e = Σ_k [M D_k + (M − m) L_k] + (M_b − m_b).
    /// Returns `nil` when some w·w' < 0.
    ///
    /// - Complexity: O(E + parameters).
    /// - Throws: ``GraphError`` if the structures differ or a graph has batch normalization.
    public static func l1PathMetricBound(_ a: GraphNetwork, _ b: GraphNetwork) throws -> Double? {
        try checkPair(a, b)
        guard signsAgree(a, b) else { return nil }
        let na = try a.normalForm().network, nb = try b.normalForm().network
        return min(l1BoundAsGiven(na, nb), l1BoundAsGiven(na, try aligned(nb, to: na)))
    }

    /// A certified bound on ‖R_θ(x) − R_θ'(x)‖₁ over the box ‖x‖_∞ ≤ r: max(r, 1)·``l1PathMetricBound(_:_:)``
    /// (arXiv 2405.15006, Theorem on the Lipschitz property of R in θ, for parameters with agreeing signs); `nil`
    /// when the signs disagree. O(E + parameters).
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` if r is negative or not finite, else as the ℓ¹ bound.
    public static func certifiedOutputBound(_ a: GraphNetwork, _ b: GraphNetwork, radius r: Double = 1) throws
        -> Double? {
        guard r >= 0, r.isFinite else { throw GraphError.invalidArgument("radius \(r) must be finite and ≥ 0") }
        return try l1PathMetricBound(a, b).map { max(r, 1) * $0 }
    }

    /// ‖Φ(max(|θ|,|θ'|))‖₁ − ‖Φ(min(|θ|,|θ'|))‖₁ for the parameters as given (one cancellation-free pass). O(E).
    static func l1BoundAsGiven(_ a: GraphNetwork, _ b: GraphNetwork) -> Double {
        var D: [[Double]] = [[Double](repeating: 0, count: a.inputSize)]
        var L: [[Double]] = [[Double](repeating: 1, count: a.inputSize)]
        for n in a.nodes.indices {
            let na = a.nodes[n], nb = b.nodes[n], size = a.valueSize(n + 1)
            var d = [Double](repeating: 0, count: size), l = d
            if na.operation.isAffine {
                let spatial = a.spatialSize(ofValue: n + 1)
                for k in 0..<size {
                    let x = abs(na.bias[k / spatial]), y = abs(nb.bias[k / spatial])
                    d[k] = max(x, y) - min(x, y); l[k] = min(x, y)
                }
            }
            let c = a.edgeCoefficient(n), src = a.sourceValues[n]
            let (d0, l0) = (D[src[0]], L[src[0]]), (d1, l1) = (D[src[src.count - 1]], L[src[src.count - 1]])
            let wa = na.weight, wb = nb.weight
            a.forEachEdge(n) { o, slot, i, p in
                let (dk, lk) = slot == 0 ? (d0[i], l0[i]) : (d1[i], l1[i])
                if p >= 0 {
                    let x = abs(wa[p]), y = abs(wb[p]), hi = max(x, y), lo = min(x, y)
                    d[o] += hi * dk + (hi - lo) * lk
                    l[o] += lo * lk
                } else {
                    d[o] += c * dk; l[o] += c * lk
                }
            }
            D.append(d); L.append(l)
        }
        return D[a.valueCount - 1].reduce(0, +)
    }

    /// `b` rescaled group by group (in order) so that each group's incoming parameters best match `a`'s in least
    /// squares; factors that are not positive and finite are skipped. Φ(b) and the signs are unchanged. O(P).
    static func aligned(_ b: GraphNetwork, to a: GraphNetwork) throws -> GraphNetwork {
        var out = b
        for group in try b.channelGroups { align(&out, group: group, to: a) }
        return out
    }

    /// Rescales one group of `b` so that its incoming parameters best match `a`'s in least squares (factors that
    /// are not positive and finite are skipped). O(the group's parameters).
    static func align(_ b: inout GraphNetwork, group: ChannelGroup, to a: GraphNetwork) {
        var num = 0.0, den = 0.0
        for m in group.incoming {
            let x = a.nodes[m.node], y = b.nodes[m.node]
            num += x.bias[m.channel] * y.bias[m.channel]; den += y.bias[m.channel] * y.bias[m.channel]
            for p in b.incomingWeightIndices(m) { num += x.weight[p] * y.weight[p]; den += y.weight[p] * y.weight[p] }
        }
        let s = num / den
        if den > 0, s > 0, s.isFinite { b.scale(group, by: s) }
    }
}
