/// ‖Φ(θ) − Φ(θ̂)‖₂² of a fixed θ and a θ̂ whose parameters change a few at a time (the evaluator of the tied-group
/// line search): the cancellation-free E/G/B recurrence of ``GraphPathLifting/squaredL2PathMetric(_:_:)`` on the
/// graphs as given, updated by propagating only the changes.
///
/// The recurrence is linear in the (E, G, B) of a node's inputs, with coefficients from the edge weights (w, ŵ):
/// for an edge k → e, E_e += w²E_k + 2w(w − ŵ)G_k + (w − ŵ)²B_k, G_e += wŵG_k + (w − ŵ)ŵB_k, B_e += ŵ²B_k. So when
/// some parameters change, each value changes by a delta that is non-zero only on the channels reached from them:
/// a node's delta is the sum over the edges of its changed parameters (new coefficients on the new inputs minus
/// old ones on the old inputs), the edges leaving its inputs' changed channels (old coefficients on the input
/// deltas) and its changed biases. Only those edges are visited (``GraphNetwork/forEachEdge(_:fromChannel:slot:_:)``,
/// ``GraphNetwork/forEachEdge(_:ofWeight:_:)``). Every `refreshInterval` evaluations the whole recurrence is
/// recomputed, which bounds the rounding drift of the accumulated deltas.
///
/// - Complexity: per evaluation, O(edges touching the changed channels), e.g. a change in a ResNet block's second
///   convolution visits one output channel's kernel and the edges of that channel downstream; every
///   `refreshInterval` evaluations O(all edges).
struct IncrementalPathMetric {
    /// θ (the reference, aligned to θ̂ so that the recurrence is well conditioned).
    let reference: GraphNetwork
    /// θ̂, modified through ``set(_:_:)``.
    private(set) var quantized: GraphNetwork
    /// Evaluations between two full recomputations.
    var refreshInterval = 256
    private var E: [[Double]]
    private var G: [[Double]]
    private var B: [[Double]]
    private var dE: [[Double]]
    private var dG: [[Double]]
    private var dB: [[Double]]
    /// Per value, the channels whose delta is non-zero in the current propagation.
    private var dirty: [[Int]]
    private var isDirty: [[Bool]]
    /// Per value, elements per channel (1 for `[F]` values: every feature is a channel).
    private let spatial: [Int]
    /// The parameters changed since the last evaluation, with their value then.
    private var changed: [GraphParameter: Double] = [:]
    private var needsFull = true
    private var sinceFull = 0

    /// Buffers for `reference` and `quantized` (same structure, no batch normalization; unchecked).
    init(reference: GraphNetwork, quantized: GraphNetwork) {
        self.reference = reference
        self.quantized = quantized
        E = (0..<reference.valueCount).map { [Double](repeating: 0, count: reference.valueSize($0)) }
        G = E; B = E; dE = E; dG = E; dB = E
        B[0] = [Double](repeating: 1, count: reference.inputSize)
        spatial = (0..<reference.valueCount).map { reference.spatialSize(ofValue: $0) }
        isDirty = (0..<reference.valueCount).map { [Bool](repeating: false, count: reference.valueSize($0) / reference.spatialSize(ofValue: $0)) }
        dirty = Array(repeating: [], count: reference.valueCount)
    }

    /// Sets one parameter of θ̂. O(1).
    mutating func set(_ p: GraphParameter, _ value: Double) {
        let old = p.value(in: quantized)
        if old == value { return }
        if changed[p] == nil { changed[p] = old }
        p.set(value, in: &quantized)
    }

    /// The squared metric for the current θ̂.
    mutating func value() -> Double {
        if needsFull || sinceFull >= refreshInterval {
            for n in reference.nodes.indices { recompute(n) }
            needsFull = false
            sinceFull = 0
            changed = [:]
        } else if !changed.isEmpty {
            propagate()
            sinceFull += 1
        }
        return E[reference.valueCount - 1].reduce(0, +)
    }

    /// Recomputes E, G, B of node n's output from its inputs (the recurrence of `squaredL2PathMetricAsGiven`).
    private mutating func recompute(_ n: Int) {
        var e = [Double](), g = [Double](), bb = [Double]()
        swap(&e, &E[n + 1]); swap(&g, &G[n + 1]); swap(&bb, &B[n + 1])
        GraphPathLifting.metricStep(n, reference, quantized, spatial: spatial[n + 1], E: E, G: G, B: B,
                                    e: &e, g: &g, bb: &bb)
        swap(&e, &E[n + 1]); swap(&g, &G[n + 1]); swap(&bb, &B[n + 1])
    }

    /// Propagates the pending changes through the graph (see the type's documentation).
    private mutating func propagate() {
        var weightChanges = [[(p: Int, old: Double)]](repeating: [], count: reference.nodes.count)
        var biasChanges = [[(c: Int, old: Double)]](repeating: [], count: reference.nodes.count)
        var first = reference.nodes.count
        for (p, old) in changed {
            if p.isBias { biasChanges[p.node].append((p.index, old)) } else { weightChanges[p.node].append((p.index, old)) }
            first = min(first, p.node)
        }
        changed = [:]
        var touched: [Int] = []
        for m in first..<reference.nodes.count {
            let v = m + 1, src = reference.sourceValues[m]
            let sourceDirty = src.map { !dirty[$0].isEmpty }
            guard sourceDirty.contains(true) || !weightChanges[m].isEmpty || !biasChanges[m].isEmpty else { continue }
            touched.append(v)
            let outChannels = dirtyOutputChannels(m, sourceDirty: sourceDirty, weights: weightChanges[m],
                                                  biases: biasChanges[m])
            for c in outChannels where !isDirty[v][c] { isDirty[v][c] = true; dirty[v].append(c) }
            let sp = spatial[v]
            var de = [Double](), dg = [Double](), db = [Double]()
            swap(&de, &dE[v]); swap(&dg, &dG[v]); swap(&db, &dB[v])
            let na = reference.nodes[m], nb = quantized.nodes[m]
            de.withUnsafeMutableBufferPointer { deb in
                dg.withUnsafeMutableBufferPointer { dgb in
                    db.withUnsafeMutableBufferPointer { dbb in
                        let pe = deb.baseAddress!, pg = dgb.baseAddress!, pb = dbb.baseAddress!
                        if na.operation.isAffine {
                            for (c, old) in biasChanges[m] {
                                let x = na.bias[c], y = nb.bias[c], d = x - y, d0 = x - old
                                for t in (c * sp)..<((c + 1) * sp) {
                                    pe[t] += d * d - d0 * d0; pg[t] += d * y - d0 * old; pb[t] += y * y - old * old
                                }
                            }
                            propagateAffine(m, source: src[0], sourceDirty: sourceDirty[0], changes: weightChanges[m],
                                            pe, pg, pb)
                        } else {
                            let coefficient = reference.edgeCoefficient(m), c2 = coefficient * coefficient
                            for slot in src.indices where sourceDirty[slot] {
                                let s = src[slot]
                                dE[s].withUnsafeBufferPointer { eb in
                                    dG[s].withUnsafeBufferPointer { gb in
                                        dB[s].withUnsafeBufferPointer { bb in
                                            let es = eb.baseAddress!, gs = gb.baseAddress!, bs = bb.baseAddress!
                                            for ci in dirty[s] {
                                                reference.forEachEdge(m, fromChannel: ci, slot: slot) { o, i, _ in
                                                    pe[o] += c2 * es[i]; pg[o] += c2 * gs[i]; pb[o] += c2 * bs[i]
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            var ev = [Double](), gv = [Double](), bv = [Double]()
            swap(&ev, &E[v]); swap(&gv, &G[v]); swap(&bv, &B[v])
            for c in dirty[v] {
                for k in (c * sp)..<((c + 1) * sp) { ev[k] += de[k]; gv[k] += dg[k]; bv[k] += db[k] }
            }
            swap(&ev, &E[v]); swap(&gv, &G[v]); swap(&bv, &B[v])
            swap(&de, &dE[v]); swap(&dg, &dG[v]); swap(&db, &dB[v])
        }
        for v in touched {
            let sp = spatial[v]
            var de = [Double](), dg = [Double](), db = [Double]()
            swap(&de, &dE[v]); swap(&dg, &dG[v]); swap(&db, &dB[v])
            for c in dirty[v] {
                isDirty[v][c] = false
                for k in (c * sp)..<((c + 1) * sp) { de[k] = 0; dg[k] = 0; db[k] = 0 }
            }
            swap(&de, &dE[v]); swap(&dg, &dG[v]); swap(&db, &dB[v])
            dirty[v] = []
        }
    }

    /// The output channels of node m that a propagation changes: for a conv2d, the outputs of a dirty input
    /// channel's group; for a dense node, all outputs; the channels of changed weights and biases; for
    /// parameter-free nodes, the same channels (flatten: the channel's features).
    private func dirtyOutputChannels(_ m: Int, sourceDirty: [Bool], weights: [(p: Int, old: Double)],
                                     biases: [(c: Int, old: Double)]) -> [Int] {
        let node = reference.nodes[m], src = reference.sourceValues[m]
        var out = biases.map(\.c)
        switch node.operation {
        case .conv2d(let g):
            let per = node.weight.count / g.outChannels
            out += weights.map { $0.p / per }
            if sourceDirty[0] {
                var groups = Set<Int>()
                for c in dirty[src[0]] { groups.insert(c / g.inPerGroup) }
                for group in groups { out += (group * g.outPerGroup)..<((group + 1) * g.outPerGroup) }
            }
        case .linear(let fin, let fout):
            out += weights.map { $0.p / fin }
            if sourceDirty[0] { out += 0..<fout }
        case .flatten:
            let sp = spatial[src[0]]
            for c in dirty[src[0]] { out += (c * sp)..<((c + 1) * sp) }
        default:
            for (slot, s) in src.enumerated() where sourceDirty[slot] { out += dirty[s] }
        }
        return out
    }

    /// The delta of a conv2d/linear node's output from its dirty input channels (unchanged weights) and its changed
    /// weights (new coefficients on the new inputs minus old ones on the old inputs), added into pe, pg, pb.
    private func propagateAffine(_ m: Int, source s: Int, sourceDirty: Bool, changes: [(p: Int, old: Double)],
                                 _ pe: UnsafeMutablePointer<Double>, _ pg: UnsafeMutablePointer<Double>,
                                 _ pb: UnsafeMutablePointer<Double>) {
        let changedOld = Dictionary(changes.map { ($0.p, $0.old) }, uniquingKeysWith: { a, _ in a })
        // Membership per edge through a mask, not the dictionary: hashing on every edge cost a third of a
        // ResNet-20 sweep of cd.
        var isChanged = [Bool](repeating: false, count: changedOld.isEmpty ? 0 : reference.nodes[m].weight.count)
        for p in changedOld.keys { isChanged[p] = true }
        isChanged.withUnsafeBufferPointer { changedMask in
        reference.nodes[m].weight.withUnsafeBufferPointer { wab in
            quantized.nodes[m].weight.withUnsafeBufferPointer { wbb in
                dE[s].withUnsafeBufferPointer { eb in
                    dG[s].withUnsafeBufferPointer { gb in
                        dB[s].withUnsafeBufferPointer { bb in
                            let wa = wab.baseAddress!, wb = wbb.baseAddress!
                            let es = eb.baseAddress!, gs = gb.baseAddress!, bs = bb.baseAddress!
                            if sourceDirty {
                                for ci in dirty[s] {
                                    reference.forEachEdge(m, fromChannel: ci, slot: 0) { o, i, p in
                                        if !changedMask.isEmpty && changedMask[p] { return }
                                        let w = wa[p], w2 = wb[p], d = w - w2, ek = es[i], gk = gs[i], bk = bs[i]
                                        pe[o] += w * w * ek + 2 * w * d * gk + d * d * bk
                                        pg[o] += w * w2 * gk + d * w2 * bk
                                        pb[o] += w2 * w2 * bk
                                    }
                                }
                            }
                            guard !changedOld.isEmpty else { return }
                            E[s].withUnsafeBufferPointer { enb in
                                G[s].withUnsafeBufferPointer { gnb in
                                    B[s].withUnsafeBufferPointer { bnb in
                                        let en = enb.baseAddress!, gn = gnb.baseAddress!, bn = bnb.baseAddress!
                                        for (p, w1) in changedOld {
                                            let w = wa[p], w2 = wb[p], d = w - w2, d1 = w - w1
                                            reference.forEachEdge(m, ofWeight: p) { o, i in
                                                let ek = en[i], gk = gn[i], bk = bn[i]
                                                let eo = ek - es[i], go = gk - gs[i], bo = bk - bs[i]
                                                pe[o] += (w * w * ek + 2 * w * d * gk + d * d * bk)
                                                    - (w * w * eo + 2 * w * d1 * go + d1 * d1 * bo)
                                                pg[o] += (w * w2 * gk + d * w2 * bk) - (w * w1 * go + d1 * w1 * bo)
                                                pb[o] += w2 * w2 * bk - w1 * w1 * bo
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        }
    }
}

extension GraphNetwork {
    /// Calls `body(out, in, parameter)` for every edge of node n that leaves channel c of its input number `slot`
    /// (a feature for `[F]` inputs), with `parameter` as in ``forEachEdge(_:_:)`` (−1: the node's coefficient).
    ///
    /// - Complexity: O(edges from the channel).
    @inline(__always)
    func forEachEdge(_ n: Int, fromChannel c: Int, slot: Int, _ body: (_ out: Int, _ in: Int, _ parameter: Int) -> Void) {
        let node = nodes[n]
        let inShape = valueShape(sourceValues[n][slot])
        switch node.operation {
        case .conv2d(let g):
            let ipg = g.inPerGroup, opg = g.outPerGroup, group = c / ipg, ci = c - group * ipg
            for o in (group * opg)..<((group + 1) * opg) {
                for u in 0..<g.kernelHeight {
                    for v in 0..<g.kernelWidth { convolutionEdges(n, g, o: o, ci: ci, channel: c, u: u, v: v, body) }
                }
            }
        case .linear(let fin, let fout):
            for o in 0..<fout { body(o, c, o * fin + c) }
        case .relu, .flatten, .add:
            let sp = inShape.count == 3 ? inShape[1] * inShape[2] : 1
            for e in (c * sp)..<((c + 1) * sp) { body(e, e, -1) }
        case .maxPool2d(let p), .avgPool2d(let p):
            let h = inShape[1], w = inShape[2], oh = node.outputShape[1], ow = node.outputShape[2]
            for i in 0..<oh {
                for j in 0..<ow {
                    let out = (c * oh + i) * ow + j
                    for u in 0..<p.kernelHeight {
                        let row = (c * h + i * p.strideHeight + u) * w + j * p.strideWidth
                        for v in 0..<p.kernelWidth { body(out, row + v, -1) }
                    }
                }
            }
        case .batchNorm2d:
            break
        }
    }

    /// Calls `body(out, in)` for every edge of conv2d/linear node n that carries weight p.
    ///
    /// - Complexity: O(output positions of the kernel entry) for a convolution, O(1) for a dense node.
    @inline(__always)
    func forEachEdge(_ n: Int, ofWeight p: Int, _ body: (_ out: Int, _ in: Int) -> Void) {
        switch nodes[n].operation {
        case .conv2d(let g):
            let ipg = g.inPerGroup, area = g.kernelArea
            let o = p / (ipg * area), ci = (p / area) % ipg, u = (p % area) / g.kernelWidth, v = p % g.kernelWidth
            let c = (o / g.outPerGroup) * ipg + ci
            convolutionEdges(n, g, o: o, ci: ci, channel: c, u: u, v: v) { out, i, _ in body(out, i) }
        case .linear(let fin, _):
            body(p / fin, p % fin)
        default:
            break
        }
    }

    /// The edges of one kernel entry (o, ci, u, v) of conv2d node n, whose input channel is c.
    @inline(__always)
    private func convolutionEdges(_ n: Int, _ g: Conv2DGeometry, o: Int, ci: Int, channel c: Int, u: Int, v: Int,
                                  _ body: (_ out: Int, _ in: Int, _ parameter: Int) -> Void) {
        let inShape = valueShape(sourceValues[n][0]), outShape = nodes[n].outputShape
        let h = inShape[1], w = inShape[2], oh = outShape[1], ow = outShape[2]
        let rows = validRange(kernelOffset: u, padding: g.paddingHeight, stride: g.strideHeight, inputSize: h,
                              outputSize: oh)
        let cols = validRange(kernelOffset: v, padding: g.paddingWidth, stride: g.strideWidth, inputSize: w,
                              outputSize: ow)
        let p = g.weightIndex(o, ci, u, v), plane = c * h * w
        for i in rows {
            let inRow = plane + (i * g.strideHeight + u - g.paddingHeight) * w - g.paddingWidth + v
            let outRow = (o * oh + i) * ow
            for j in cols { body(outRow + j, inRow + j * g.strideWidth, p) }
        }
    }
}
