/// Which step of coordinate descent handles which channels and parameters of a graph.
struct GraphDescentPlan: Sendable {
    /// The rescaling structure of the reference graph.
    var structure: RescalingStructure
    /// Per node, the groups with this node as their only incoming member and one grid for all their readers:
    /// solved as channel problems, all channels of the node at once.
    var channels: [[Int]]
    /// Per node, the other groups (several incoming members, i.e. tied across a residual join, or readers on
    /// different grids) whose first incoming member is this node: exact-evaluation line search.
    var searched: [[Int]]
    /// Per node, the parameters in no group's reach (weights between fixed channels, biases of fixed channels,
    /// e.g. the output node's bias): exact node-wise steps.
    var uncovered: [[GraphParameter]]

    /// Builds the plan for `net` on `grids`. O(P + values).
    init(_ net: GraphNetwork, _ grids: GraphNodeGrids) throws {
        structure = try net.rescalingStructure()
        channels = Array(repeating: [], count: net.nodes.count)
        searched = channels
        uncovered = Array(repeating: [], count: net.nodes.count)
        for (k, group) in structure.groups.enumerated() {
            let readers = Set(group.outgoing.map(\.node)).sorted()
            let oneGrid = readers.dropFirst().allSatisfy { sameGrid(grids.weight($0), grids.weight(readers[0])) }
            if group.incoming.count == 1 && oneGrid {
                channels[group.incoming[0].node].append(k)
            } else {
                searched[group.incoming[0].node].append(k)
            }
        }
        for n in net.nodes.indices where net.nodes[n].operation.isAffine {
            let src = net.sourceValues[n][0], outGroups = structure.channelGroup[n + 1]
            for c in outGroups.indices where outGroups[c] < 0 {
                uncovered[n].append(GraphParameter(node: n, index: c, isBias: true))
            }
            let per = net.nodes[n].weight.count / max(net.nodes[n].bias.count, 1)
            for p in net.nodes[n].weight.indices
            where outGroups[p / per] < 0 && structure.channelGroup[src][net.inputChannel(ofWeight: p, node: n)] < 0 {
                uncovered[n].append(GraphParameter(node: n, index: p, isBias: false))
            }
        }
    }
}

/// One hidden channel's coordinate-descent subproblem, with the graph parameters its coordinates stand for.
struct GraphChannelSubproblem {
    /// The channel problem (x: outgoing parameters, y: incoming weights then the bias).
    var problem: ChannelProblem
    /// The graph parameters of y, in order (the kernel slice, then the bias).
    var incoming: [GraphParameter]
    /// The graph parameters of x, in order.
    var outgoing: [GraphParameter]
    /// The current quantized values (x̂, ŷ).
    var current: (xHat: [Double], yHat: [Double])
}

extension GraphQuantizer {
    /// Exact coordinate descent on the ℓ² path-metric ‖Φ(θ) − Φ(θ̂)‖₂² for graphs (docs/Theory.md §4 for MLPs, generalized
    /// to shared weights; our derivation, checked by the tests: the subproblem objective against the path-metric,
    /// brute force over the rescaling family, monotonicity, rescaling invariance).
    ///
    /// **Paths through a channel.** Let channel c of conv2d/linear node n be a channel group's only incoming
    /// member, and fix every quantized parameter except its incoming parameters ŷ (the kernel slice
    /// `weight[c, …]` and `bias[c]`) and its outgoing parameters x̂ (every weight that reads the channel:
    /// ``GraphNetwork/outgoingWeightIndices(_:)`` of the group's outgoing members). The channel is shared by N
    /// spatial neurons t (the elements of channel c of node n's output; N = 1 for a dense node). A path of Φ that
    /// involves ŷ or x̂ passes through exactly one t, once (the graph is acyclic), and consists of
    ///   - an in-path of t: the edge s → t of a kernel entry k (a weight; the edge exists for every output position
    ///     whose window covers s) followed backwards by an in-path of s, or the bias path of t (value b);
    ///   - an out-path of t: a route from t through parameter-free nodes (ReLU, max/average pooling, flatten),
    ///     with coefficient product κ (``GraphNetwork/edgeCoefficient(_:)``: 1/k per average pool, 1 otherwise, as
    ///     in the path passes), to the edge a → e′ of an outgoing parameter o of a consumer node, followed by an
    ///     out-path of e′.
    /// No path uses two parameters of the channel on the same side, and every combination is a distinct path, so
    /// with P_i (P̂_i) the in-path values in θ (θ̂) and S (Ŝ) the out-path values,
    ///   Σ_t Σ_{i ∈ in(t)} Σ_{(route, o, e′)} Σ_{s ∈ out(e′)} (P_i κ x_o S_s − P̂_i κ x̂_o Ŝ_s)²
    ///   = const + Σ_t [ −2 (Σ_o A[t,o] x̂_o)(Σ_k B[t,k] ŷ_k) + (Σ_o C[t,o] x̂_o²)(Σ_k D[t,k] ŷ_k²) ]
    /// with, summed over the edges s → t of parameter k (the bias: one entry per t with F = N̂ = 1) and over the
    /// routes from t to an edge a → e′ of parameter o,
    ///   B[t,k] = y_k Σ F(s),   D[t,k] = Σ N̂(s),   A[t,o] = x_o Σ κ² G(e′),   C[t,o] = Σ κ² M̂(e′),
    /// where F = ⟨P, P̂⟩, N̂ = ‖P̂‖² (``GraphPathQuantities/forwardInner``, …) and G = ⟨S, Ŝ⟩, M̂ = ‖Ŝ‖²
    /// (``GraphPathQuantities/backwardInner``, …). The constant collects ‖P‖²‖S‖² terms of θ alone. This is the
    /// ``ChannelProblem`` objective; its ``ChannelProblem/solve(current:options:)`` searches the channel's rescaling
    /// family x̂ = Q(x/λ), ŷ = Q(λy) exactly and refines by exact alternating block steps, never returning worse
    /// than the current point, so each step is exact on the family and the metric never increases. Here x, y are
    /// taken from the reference aligned to θ̂ group by group (same Φ), so that the family is centred on θ̂'s
    /// scaling of the neighbouring channels; the result does not depend on the channel's own scale.
    ///
    /// **A node at once.** Channels of one node share no path, and their subproblems read F, N̂ upstream of the node
    /// and G, M̂ downstream of the consumers, which none of them changes: all channels of a node are solved at once
    /// (in parallel) from one computation of the quantities, and the combined step is exact block coordinate
    /// descent. The quantities are recomputed (four O(edges) passes) before every node.
    ///
    /// **Tied channels.** A group with several incoming members (channels summed by a residual `add`) has paths
    /// that cross it twice (e.g. stem → first conv of the block → second conv → add), so its terms are not of the
    /// product form; nor is a group whose readers use different grids (one gridX). For these the search is
    /// ``tiedGroupStep(_:_:group:index:plan:grids:options:)``: every piece of the rescaling family within a window
    /// of λ is evaluated exactly — exact within the window, not globally.
    ///
    /// **Other parameters.** Parameters in no group's reach (the output node's bias, parameters between fixed
    /// channels) get exact node-wise steps (``nodeStep(_:_:parameters:grids:)``).
    ///
    /// A sweep visits the conv2d/linear nodes in topological order; it stops when a sweep improves the squared
    /// metric by less than `relativeTolerance` or after `maxSweeps`. The reference must be free of batch
    /// normalization; it is the normal form in practice, and every step depends only on the orbit and θ̂, so the
    /// result does not depend on the input's scaling.
    ///
    /// - Complexity: per sweep, for each node O(edges) for the quantities and the subproblem weights plus one
    ///   channel solve per channel (O(E log E) in its breakpoints E); for each tied group O(breakpoints × edges).
    static func coordinateDescent(_ net: GraphNetwork, start: GraphNetwork, grids: GraphNodeGrids,
                                  options: GraphCoordinateDescentOptions) throws
        -> (network: GraphNetwork, history: [Double], sweeps: Int) {
        let plan = try GraphDescentPlan(net, grids)
        var q = start
        var current = try GraphPathLifting.squaredL2PathMetric(net, q)
        var history = [max(current, 0).squareRoot()]
        var sweeps = 0
        let large = net.parameterEdgeBound > options.tiedExactMaxEdges
        let affine = net.nodes.indices.filter { net.nodes[$0].operation.isAffine }
        // Costs for the first sweep's estimate: each node's edges (its weights × output positions), doubled on
        // large graphs for the node-wise pass at the end of the sweep.
        let edges = affine.map { Double(net.nodes[$0].weight.count * max(net.spatialSize(ofValue: $0 + 1), 1)) }
        var tracker = ProgressTracker(options.progress, stage: "cd", maxSweeps: options.maxSweeps,
                                      costs: large ? edges + edges : edges)
        while sweeps < options.maxSweeps && current > 0 {
            sweeps += 1
            tracker.beginSweep(sweeps, objective: max(current, 0).squareRoot())
            let before = q
            for (i, n) in affine.enumerated() {
                tracker.step(i, label: "node \(i + 1) of \(affine.count) (\(net.nodes[n].name))")
                if !plan.channels[n].isEmpty {
                    try channelStep(net, &q, node: n, groups: plan.channels[n], plan: plan, grids: grids,
                                    options: options)
                }
                if !plan.searched[n].isEmpty && large {
                    // One set of norms and one incremental evaluator for all the node's tied groups.
                    let norms = GroupSearchNorms(q)
                    var metric = IncrementalPathMetric(reference: try GraphPathLifting.aligned(net, to: q), quantized: q)
                    for k in plan.searched[n] {
                        try tiedGroupModelStep(net, &q, group: plan.structure.groups[k], index: k, plan: plan,
                                               grids: grids, norms: norms, metric: &metric, options: options)
                    }
                } else {
                    for k in plan.searched[n] {
                        try tiedGroupStep(net, &q, group: plan.structure.groups[k], index: k, plan: plan, grids: grids,
                                          options: options)
                    }
                }
                if !plan.uncovered[n].isEmpty {
                    if try nodeStep(net, &q, parameters: plan.uncovered[n], grids: grids) { options.afterStep?(q) }
                }
            }
            if large {
                // In place of the per-group refinement: one exact node-wise step on every parameter of each node.
                for (i, n) in affine.enumerated() {
                    tracker.step(affine.count + i, label: "node-wise steps, node \(i + 1) of \(affine.count)")
                    if try nodeStep(net, &q, parameters: GraphParameter.all(ofNode: n, in: net), grids: grids) {
                        options.afterStep?(q)
                    }
                }
            }
            let value = try GraphPathLifting.squaredL2PathMetric(net, q)
            if value > current {
                // Only rounding noise can do this (every step is exact); keep the better point.
                q = before
                history.append(max(current, 0).squareRoot())
                break
            }
            history.append(max(value, 0).squareRoot())
            let improvement = current - value
            current = value
            if improvement <= options.relativeTolerance * current { break }
        }
        return (q, history, sweeps)
    }

    /// Solves the channel problems of every listed group (each with node n as its only incoming member) at once,
    /// in parallel, and writes the answers into q.
    static func channelStep(_ net: GraphNetwork, _ q: inout GraphNetwork, node n: Int, groups: [Int],
                            plan: GraphDescentPlan, grids: GraphNodeGrids,
                            options: GraphCoordinateDescentOptions) throws {
        let ref = try GraphPathLifting.aligned(net, to: q)
        let quantities = try GraphPathLifting.quantities(ref, q)
        let subproblems = try channelSubproblems(ref, q, node: n, groups: groups, plan: plan, grids: grids,
                                                 quantities: quantities)
        var channelOptions = options.channel
        channelOptions.threads = 1
        var solutions = [ChannelProblem.Solution?](repeating: nil, count: subproblems.count)
        var failures = [(any Error)?](repeating: nil, count: subproblems.count)
        solutions.withUnsafeMutableBufferPointer { sp in
            failures.withUnsafeMutableBufferPointer { fp in
                let sb = UncheckedBox(sp), fb = UncheckedBox(fp)
                parallelFor(subproblems.count) { i in
                    let s = subproblems[i]
                    do {
                        sb.value[i] = try s.problem.solve(current: s.current, options: channelOptions)
                    } catch ChannelProblemError.unsupportedGrids(let message) {
                        fb.value[i] = GraphError.unsupported("coordinate descent: \(message)")
                    } catch {
                        // Too many breakpoints or magnitudes out of range: keep the exact block refinement.
                        sb.value[i] = try? s.problem.refine(xHat: s.current.xHat, yHat: s.current.yHat,
                                                            maxRounds: channelOptions.maxRefinementRounds)
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        for (i, s) in subproblems.enumerated() {
            guard let solution = solutions[i] else { continue }
            for (p, v) in zip(s.incoming, solution.yHat) { p.set(v, in: &q) }
            for (p, v) in zip(s.outgoing, solution.xHat) { p.set(v, in: &q) }
            options.afterStep?(q)
        }
    }

    /// The channel problems of node n's channels in `groups` (see ``coordinateDescent(_:start:grids:options:)``
    /// for the weights), built from the reference `ref` (same Φ as θ, aligned to θ̂), the current θ̂ = q and the
    /// path quantities of (ref, q).
    ///
    /// - Complexity: O(edges of node n + edges of the parameter-free nodes and consumers downstream of it ×
    ///   routes per element), plus sorting each column's entries.
    static func channelSubproblems(_ ref: GraphNetwork, _ q: GraphNetwork, node n: Int, groups: [Int],
                                   plan: GraphDescentPlan, grids: GraphNodeGrids,
                                   quantities pq: GraphPathQuantities) throws -> [GraphChannelSubproblem] {
        let node = ref.nodes[n]
        let outputs = node.bias.count, per = node.weight.count / outputs
        let spatial = ref.spatialSize(ofValue: n + 1)
        let src = ref.sourceValues[n][0]
        var local = [Int](repeating: -1, count: outputs)
        let channels = groups.map { plan.structure.groups[$0].incoming[0].channel }
        for (li, c) in channels.enumerated() { local[c] = li }

        // Incoming side: B[t,k] = y_k F(s), D[t,k] = N̂(s) over the edges s → t of kernel entry k; the bias F = N̂ = 1.
        var incoming = [[[ChannelProblem.Entry]]](repeating: Array(repeating: [], count: per + 1),
                                                  count: channels.count)
        let F = pq.forwardInner[src], NH = pq.forwardNormSquared[src]
        ref.forEachEdge(n) { e, _, s, p in
            let c = e / spatial, li = local[c]
            guard li >= 0 else { return }
            let k = p - c * per
            incoming[li][k].append(.init(neuron: e - c * spatial, linear: node.weight[p] * F[s], quadratic: NH[s]))
        }
        for (li, c) in channels.enumerated() {
            incoming[li][per] = (0..<spatial).map { .init(neuron: $0, linear: node.bias[c], quadratic: 1) }
        }

        // Outgoing side: parameter lists per channel, and for each consumer weight its column.
        var outgoing = [[GraphParameter]](repeating: [], count: channels.count)
        var column: [Int: [Int32]] = [:]
        for (li, k) in groups.enumerated() {
            for m in plan.structure.groups[k].outgoing {
                if column[m.node] == nil {
                    column[m.node] = [Int32](repeating: -1, count: ref.nodes[m.node].weight.count)
                }
                for p in ref.outgoingWeightIndices(m) {
                    column[m.node]![p] = Int32(outgoing[li].count)
                    outgoing[li].append(GraphParameter(node: m.node, index: p, isBias: false))
                }
            }
        }
        var outEntries = (0..<channels.count).map { [[ChannelProblem.Entry]](repeating: [], count: outgoing[$0].count) }

        // Routes through parameter-free nodes: for every element of a reachable value, its origins t (elements of
        // node n's output, in the listed channels) with Σ κ² over the routes.
        var origins = [[[(t: Int, w: Double)]]?](repeating: nil, count: ref.valueCount)
        var start = [[(t: Int, w: Double)]](repeating: [], count: ref.valueSize(n + 1))
        for e in start.indices where local[e / spatial] >= 0 { start[e] = [(e, 1)] }
        origins[n + 1] = start
        for m in (n + 1)..<ref.nodes.count {
            let sources = ref.sourceValues[m]
            guard sources.contains(where: { origins[$0] != nil }) else { continue }
            if ref.nodes[m].operation.isAffine {
                guard let from = origins[sources[0]], let cols = column[m] else { continue }
                let G = pq.backwardInner[m + 1], M = pq.backwardNormSquared[m + 1], w = ref.nodes[m].weight
                ref.forEachEdge(m) { e, _, a, p in
                    let col = Int(cols[p])
                    guard col >= 0 else { return }
                    for (t, kappa2) in from[a] {
                        let c = t / spatial, li = local[c]
                        outEntries[li][col].append(.init(neuron: t - c * spatial, linear: w[p] * kappa2 * G[e],
                                                         quadratic: kappa2 * M[e]))
                    }
                }
            } else {
                let coefficient = ref.edgeCoefficient(m), c2 = coefficient * coefficient
                var out = [[(t: Int, w: Double)]](repeating: [], count: ref.valueSize(m + 1))
                ref.forEachEdge(m) { e, slot, i, _ in
                    guard let from = origins[sources[slot]] else { return }
                    for (t, w) in from[i] { out[e].append((t, w * c2)) }
                }
                for e in out.indices where out[e].count > 1 { out[e] = merged(out[e]) }
                origins[m + 1] = out
            }
        }

        var result: [GraphChannelSubproblem] = []
        result.reserveCapacity(channels.count)
        for (li, c) in channels.enumerated() {
            let inParams = ref.incomingWeightIndices(.init(node: n, channel: c)).map {
                GraphParameter(node: n, index: $0, isBias: false)
            } + [GraphParameter(node: n, index: c, isBias: true)]
            let outParams = outgoing[li]
            let gridX = outParams.first.map { grids.weight($0.node) } ?? grids.weight(n)
            let problem = try ChannelProblem(
                x: outParams.map { $0.value(in: ref) }, y: inParams.map { $0.value(in: ref) }, neuronCount: spatial,
                outgoing: .init(columns: outEntries[li].map(mergedEntries)),
                incoming: .init(columns: incoming[li].map(mergedEntries)),
                gridX: gridX, gridY: grids.weight(n), biasGrid: grids.bias(n))
            result.append(GraphChannelSubproblem(problem: problem, incoming: inParams, outgoing: outParams,
                                                 current: (outParams.map { $0.value(in: q) },
                                                           inParams.map { $0.value(in: q) })))
        }
        return result
    }

    /// Origins with equal t combined (sorted by t).
    static func merged(_ list: [(t: Int, w: Double)]) -> [(t: Int, w: Double)] {
        let sorted = list.sorted { $0.t < $1.t }
        var out: [(t: Int, w: Double)] = []
        for item in sorted {
            if let last = out.last, last.t == item.t { out[out.count - 1].w += item.w } else { out.append(item) }
        }
        return out
    }

    /// Entries with equal neuron combined (sorted by neuron); the problem's objective only depends on the sums.
    static func mergedEntries(_ list: [ChannelProblem.Entry]) -> [ChannelProblem.Entry] {
        guard list.count > 1 else { return list }
        var sorted = list
        if !zip(list, list.dropFirst()).allSatisfy({ $0.neuron < $1.neuron }) {
            sorted.sort { $0.neuron < $1.neuron }
        } else {
            return list
        }
        var out: [ChannelProblem.Entry] = []
        out.reserveCapacity(sorted.count)
        for item in sorted {
            if let last = out.last, last.neuron == item.neuron {
                out[out.count - 1].linear += item.linear
                out[out.count - 1].quadratic += item.quadratic
            } else {
                out.append(item)
            }
        }
        return out
    }

    /// Exact block step on parameters of one node or several (parameters of one node share no path): with all
    /// other parameters fixed, ‖Φ(θ) − Φ(θ̂)‖² = const + Σ_p (γ_p ẑ_p² − 2β_p ẑ_p) over the given parameters of a
    /// node, with β_p = z_p Σ F(s)G(t) and γ_p = Σ N̂(s)M̂(t) over the edges s → t of weight p (a bias of channel c:
    /// β = b Σ_t G(t), γ = Σ_t M̂(t) over the channel's elements), so the best value of each is Q(β_p/γ_p),
    /// applied when it strictly lowers its term. Nodes are visited in order, the quantities recomputed for each
    /// (the reference is aligned to q first). Returns whether anything changed. Never increases the metric.
    ///
    /// - Complexity: O(edges) per node touched.
    @discardableResult
    static func nodeStep(_ net: GraphNetwork, _ q: inout GraphNetwork, parameters: [GraphParameter],
                         grids: GraphNodeGrids) throws -> Bool {
        var changed = false
        let byNode = Dictionary(grouping: parameters, by: \.node)
        for n in byNode.keys.sorted() {
            let params = byNode[n]!
            let ref = try GraphPathLifting.aligned(net, to: q)
            let pq = try GraphPathLifting.quantities(ref, q)
            let node = ref.nodes[n], src = ref.sourceValues[n][0], spatial = ref.spatialSize(ofValue: n + 1)
            var selected = [Bool](repeating: false, count: node.weight.count)
            for p in params where !p.isBias { selected[p.index] = true }
            var beta = [Double](repeating: 0, count: node.weight.count), gamma = beta
            let F = pq.forwardInner[src], NH = pq.forwardNormSquared[src]
            let G = pq.backwardInner[n + 1], M = pq.backwardNormSquared[n + 1]
            ref.forEachEdge(n) { e, _, s, p in
                guard selected[p] else { return }
                beta[p] += F[s] * G[e]
                gamma[p] += NH[s] * M[e]
            }
            for p in params {
                var b: Double, g: Double
                if p.isBias {
                    b = 0; g = 0
                    for t in (p.index * spatial)..<((p.index + 1) * spatial) { b += G[t]; g += M[t] }
                    b *= node.bias[p.index]
                } else {
                    b = beta[p.index] * node.weight[p.index]
                    g = gamma[p.index]
                }
                guard g > 0 else { continue }
                let target = b / g
                guard target.isFinite else { continue }
                let candidate = p.grid(grids, in: q).round(target), old = p.value(in: q)
                if candidate != old && candidate * (g * candidate - 2 * b) < old * (g * old - 2 * b) {
                    p.set(candidate, in: &q)
                    changed = true
                }
            }
        }
        return changed
    }
}
