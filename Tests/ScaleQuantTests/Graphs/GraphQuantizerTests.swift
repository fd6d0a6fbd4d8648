import Foundation
import Testing
@testable import ScaleQuant

/// Every conv2d/linear parameter of `g` lies on its node's grid.
func onGrids(_ g: GraphNetwork, _ grids: GraphNodeGrids) -> Bool {
    for (n, node) in g.nodes.enumerated() where node.operation.isAffine {
        let w = grids.weight(n), b = grids.bias(n)
        if node.weight.contains(where: { w.round($0) != $0 }) || node.bias.contains(where: { b.round($0) != $0 }) {
            return false
        }
    }
    return true
}

@Suite("Graphs: RTN and cross-layer equalization")
struct GraphBaselineTests {
    static func e4m3() throws -> any NumberGrid { try FormatCatalog.grid(named: "e4m3") }

    @Test("grids: fixed formats everywhere, integer steps per node from the reference")
    func grids() throws {
        let g = try tinyCNN(seed: 3)
        let fixed = try GraphGridSpec.uniform(weight: Self.e4m3()).resolve(for: g)
        #expect(fixed.weights.count == g.nodes.count)
        for (n, node) in g.nodes.enumerated() {
            #expect((fixed.weights[n] == nil) == !node.operation.isAffine)
        }
        let ints = try GraphGridSpec.integerPerNode(bits: 4).resolve(for: g)
        for (n, node) in g.nodes.enumerated() where node.operation.isAffine {
            let grid = try #require(ints.weights[n] as? IntegerGrid)
            #expect(abs(grid.maxFinite - node.weight.map(abs).max()!) <= 1e-15 * grid.maxFinite)
            let bias = try #require(ints.biases[n] as? IntegerGrid)
            #expect(abs(bias.maxFinite - node.bias.map(abs).max()!) <= 1e-15 * bias.maxFinite)
        }
        #expect(throws: FormatError.self) { try GraphGridSpec.integerPerNode(bits: 1).resolve(for: g) }
    }

    @Test("RTN puts every parameter on its grid, and its error changes under random rescaling")
    func rtn() throws {
        for seed in UInt64(0)..<4 {
            let g = try randomGraph(seed: 40 + seed)
            for spec in [try GraphGridSpec.uniform(weight: Self.e4m3()), .integerPerNode(bits: 4)] {
                let r = try GraphQuantizer.quantize(g, method: .rtn, grids: spec)
                #expect(onGrids(r.network, r.grids))
                #expect(r.sweeps == 0 && r.history.isEmpty && !r.foldedBatchNorm)
                let m = try GraphPathLifting.l2PathMetric(g, r.network)
                #expect(relDiff(m, r.l2PathMetric) <= 1e-12)
            }
        }
        let cnn = try GraphRescalingTests.bundled("cnn")
        let rescaled = try cnn.randomlyRescaled(choices: [1, 128, 4096], seed: 5).network
        let a = try GraphQuantizer.quantize(cnn, method: .rtn, grids: .uniform(weight: Self.e4m3()))
        let b = try GraphQuantizer.quantize(rescaled, method: .rtn, grids: .uniform(weight: Self.e4m3()))
        #expect(relDiff(a.l2PathMetric, b.l2PathMetric) > 1e-3)
    }

    @Test("CLE preserves the function, equalizes every group and reaches the same point from any rescaling")
    func cleFixedPoint() throws {
        var graphs = [("tinyCNN", try tinyCNN(seed: 2)), ("tinyResNet", try tinyResNet(seed: 3)),
                      ("cnn", try GraphRescalingTests.bundled("cnn")), ("resnet", try GraphRescalingTests.bundled("resnet"))]
        for seed in UInt64(0)..<4 { graphs.append(("random\(seed)", try randomGraph(seed: 60 + seed))) }
        for (name, g) in graphs {
            let r = try GraphQuantizer.crossLayerEqualizedCounting(g)
            #expect(r.residual < 1e-14, "\(name): \(r.sweeps) sweeps, residual \(r.residual)")
            let x = uniformSamples(5 * g.inputSize, radius: 1, seed: 9)
            #expect(maxRelDiff(try g.forward(x, batch: 5), try r.network.forward(x, batch: 5)) < 1e-10, "\(name)")
            for (k, group) in try r.network.channelGroups.enumerated() {
                var r1 = 0.0, r2 = 0.0
                for m in group.incoming { for p in r.network.incomingWeightIndices(m) { r1 = max(r1, abs(r.network.nodes[m.node].weight[p])) } }
                for m in group.outgoing { for p in r.network.outgoingWeightIndices(m) { r2 = max(r2, abs(r.network.nodes[m.node].weight[p])) } }
                if r1 > 0 && r2 > 0 { #expect(relDiff(r1, r2) < 1e-12, "\(name) group \(k): \(r1) vs \(r2)") }
            }
            for seed in UInt64(1)...2 {
                let rescaled = try g.randomlyRescaled(choices: [1, 128, 4096], seed: seed).network
                let s = try GraphQuantizer.crossLayerEqualized(rescaled)
                #expect(maxRelDiff(flatParameters(s), flatParameters(r.network)) < 1e-12, "\(name) seed \(seed)")
            }
        }
    }

    @Test("exact and l2r are refused with a message suggesting cd; batch norm is folded automatically")
    func methodsAndFolding() throws {
        let g = try tinyCNN(seed: 1)
        for method in [QuantizationMethod.exact, .leftToRight] {
            do {
                _ = try GraphQuantizer.quantize(g, method: method, grids: .uniform(weight: Self.e4m3()))
                Issue.record("\(method) should throw")
            } catch let GraphError.unsupported(message) {
                #expect(message.contains("cd"))
            }
        }
        let bn = try randomGraph(seed: 7, batchNorm: true)
        #expect(bn.hasBatchNorm)
        let r = try GraphQuantizer.quantize(bn, method: .cle, grids: .uniform(weight: Self.e4m3()))
        #expect(r.foldedBatchNorm && !r.network.hasBatchNorm)
        #expect(relDiff(r.l2PathMetric, try GraphPathLifting.l2PathMetric(bn.foldingBatchNorm(), r.network)) < 1e-12)
    }
}

/// All conv2d/linear parameters of a graph, in node order.
func flatParameters(_ g: GraphNetwork) -> [Double] { g.nodes.flatMap { $0.weight + $0.bias } }

/// Collects values from a @Sendable hook.
final class MetricLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Double] = []
    func append(_ v: Double) { lock.lock(); storage.append(v); lock.unlock() }
    var values: [Double] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// cd on `g` with `options` is on its grids and its ℓ² path-metric is at most RTN's and CLE's (CLE up to its
/// fixed-point tolerance).
func expectCdOnGridsAndNoWorseThanRtnAndCle(_ g: GraphNetwork, _ spec: GraphGridSpec,
                                            _ options: GraphCoordinateDescentOptions, _ label: String) throws {
    let cd = try GraphQuantizer.quantize(g, method: .coordinateDescent, grids: spec, options: options)
    let rtn = try GraphQuantizer.quantize(g, method: .rtn, grids: spec)
    let cle = try GraphQuantizer.quantize(g, method: .cle, grids: spec)
    #expect(onGrids(cd.network, cd.grids), "\(label)")
    #expect(cd.l2PathMetric <= rtn.l2PathMetric * (1 + 1e-12) && cd.l2PathMetric <= cle.l2PathMetric * (1 + 1e-9),
            "\(label): cd \(cd.l2PathMetric) rtn \(rtn.l2PathMetric) cle \(cle.l2PathMetric)")
}

/// The channel subproblems of node n at the point q, built as cd builds them (reference aligned to q, then the
/// path quantities).
func channelSubproblems(_ net: GraphNetwork, _ q: GraphNetwork, node n: Int, plan: GraphDescentPlan,
                        grids: GraphNodeGrids) throws -> [GraphChannelSubproblem] {
    let ref = try GraphPathLifting.aligned(net, to: q)
    return try GraphQuantizer.channelSubproblems(ref, q, node: n, groups: plan.channels[n], plan: plan, grids: grids,
                                                 quantities: try GraphPathLifting.quantities(ref, q))
}

/// `q` with a subproblem's (x̂, ŷ) substituted.
func substituted(_ q: GraphNetwork, _ s: GraphChannelSubproblem, x: [Double], y: [Double]) -> GraphNetwork {
    var out = q
    for (p, v) in zip(s.incoming, y) { p.set(v, in: &out) }
    for (p, v) in zip(s.outgoing, x) { p.set(v, in: &out) }
    return out
}

/// Every λ between consecutive breakpoints of the family Q(λy), Q(x/λ) of a tiny bounded grid, plus both ends.
func familyScan(x: [Double], y: [Double], gridX: any NumberGrid, gridY: any NumberGrid) -> [Double] {
    var breaks: [Double] = []
    for v in y where v != 0 { gridY.forEachBoundary(from: 0, below: .infinity) { beta, _ in breaks.append(beta / abs(v)) } }
    for v in x where v != 0 { gridX.forEachBoundary(from: 0, below: .infinity) { beta, _ in breaks.append(abs(v) / beta) } }
    breaks.sort()
    var out = [breaks.first! / 2, breaks.last! * 2]
    for (a, b) in zip(breaks, breaks.dropFirst()) where b > a { out.append((a * b).squareRoot()) }
    return out
}

@Suite("Graphs: exact coordinate descent")
struct GraphCoordinateDescentTests {
    static func e3m2() throws -> any NumberGrid { try FormatCatalog.grid(named: "e3m2") }

    /// Graphs for the subproblem checks: tiny CNNs (max and avg pool, stride, groups), the tiny ResNet (whose
    /// untied channels qualify) and random graphs.
    static func graphs() throws -> [(String, GraphNetwork)] {
        var out = [("tinyCNN", try tinyCNN(seed: 11)), ("tinyCNN-avg", try tinyCNN(seed: 12, maxPool: false)),
                   ("tinyResNet", try tinyResNet(seed: 13))]
        for seed in UInt64(0)..<5 { out.append(("random\(seed)", try randomGraph(seed: 300 + seed))) }
        return out
    }

    @Test("the channel problem's objective plus a constant is the squared path-metric of the substituted graph")
    func subproblemMatchesMetric() throws {
        var checked = 0
        for (name, g) in try Self.graphs() {
            let net = try g.normalForm().network
            let grids = try GraphGridSpec.uniform(weight: Self.e3m2()).resolve(for: net)
            // A quantized point that is not a plain rounding: a random rescaling, rounded.
            let q = GraphQuantizer.roundToNearest(try net.randomlyRescaled(choices: [0.25, 1, 3], seed: 5).network, grids)
            let plan = try GraphDescentPlan(net, grids)
            var rng = SeededGenerator(seed: 77)
            for n in net.nodes.indices where !plan.channels[n].isEmpty {
                let subs = try channelSubproblems(net, q, node: n, plan: plan, grids: grids)
                for s in subs {
                    var points: [(x: [Double], y: [Double])] = [(s.current.xHat, s.current.yHat)]
                    for _ in 0..<2 {
                        points.append((s.problem.x.map { $0 * (0.5 + rng.nextUnit()) + 0.1 * rng.nextGaussian() },
                                       s.problem.y.map { $0 * (0.5 + rng.nextUnit()) + 0.1 * rng.nextGaussian() }))
                    }
                    let f = try points.map { try s.problem.objective(xHat: $0.x, yHat: $0.y) }
                    let m = try points.map {
                        try GraphPathLifting.squaredL2PathMetric(net, substituted(q, s, x: $0.x, y: $0.y))
                    }
                    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
                        let scale = max(m[a], m[b], abs(f[a]), abs(f[b]))
                        #expect(abs((f[a] - f[b]) - (m[a] - m[b])) <= 1e-9 * scale,
                                "\(name) node \(n): Δf = \(f[a] - f[b]), Δmetric² = \(m[a] - m[b])")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 30)
    }

    @Test("each channel step is at least as good as the best member of the channel's rescaling family (brute force)")
    func channelStepBruteForce() throws {
        let grid = try IntegerGrid(maxCode: 3)
        for (name, g) in [("tinyCNN", try tinyCNN(seed: 21)), ("tinyCNN-avg", try tinyCNN(seed: 22, maxPool: false))] {
            let net = try g.normalForm().network
            let grids = try GraphGridSpec.uniform(weight: grid).resolve(for: net)
            let plan = try GraphDescentPlan(net, grids)
            var q = GraphQuantizer.roundToNearest(net, grids)
            var checked = 0
            for n in net.nodes.indices where !plan.channels[n].isEmpty {
                let subs = try channelSubproblems(net, q, node: n, plan: plan, grids: grids)
                for s in subs {
                    checked += 1
                    var best = Double.infinity
                    for lambda in familyScan(x: s.problem.x, y: s.problem.y, gridX: grid, gridY: grid) {
                        let member = substituted(q, s, x: s.problem.x.map { grid.round($0 / lambda) },
                                                 y: s.problem.y.map { grid.round($0 * lambda) })
                        best = min(best, try GraphPathLifting.squaredL2PathMetric(net, member))
                    }
                    let solution = try s.problem.solve(current: s.current)
                    let mine = try GraphPathLifting.squaredL2PathMetric(net, substituted(q, s, x: solution.xHat,
                                                                                          y: solution.yHat))
                    let now = try GraphPathLifting.squaredL2PathMetric(net, q)
                    #expect(mine <= best + 1e-10 * best, "\(name) node \(n): step \(mine) vs family minimum \(best)")
                    #expect(mine <= now + 1e-12 * now)
                }
                // Move on from the improved point, as coordinate descent does.
                try GraphQuantizer.channelStep(net, &q, node: n, groups: plan.channels[n], plan: plan, grids: grids,
                                               options: .init())
            }
            #expect(checked >= 2, "\(name): only \(checked) channel subproblems were checked")
        }
    }

    @Test("a tied group's step is at least as good as every piece of its family in the window (brute force)")
    func tiedStepBruteForce() throws {
        let grid = try IntegerGrid(maxCode: 2)
        for seed in UInt64(0)..<3 {
            let net = try tinyResNet(seed: 30 + seed).normalForm().network
            let grids = try GraphGridSpec.uniform(weight: grid).resolve(for: net)
            let plan = try GraphDescentPlan(net, grids)
            var q = GraphQuantizer.roundToNearest(net, grids)
            var options = GraphCoordinateDescentOptions()
            options.tiedRefinementRounds = 0
            var tied = 0
            for n in net.nodes.indices {
                for k in plan.searched[n] {
                    let group = plan.structure.groups[k]
                    let ref = try GraphPathLifting.aligned(net, to: q)
                    let family = GraphQuantizer.groupFamily(ref, group: group, index: k, structure: plan.structure)
                    let z = family.map { $0.p.value(in: ref) }
                    var breaks: [Double] = []
                    for (i, item) in family.enumerated() where z[i] != 0 {
                        grid.forEachBoundary(from: 0, below: .infinity) { beta, _ in
                            breaks.append(item.sign > 0 ? beta / abs(z[i]) : abs(z[i]) / beta)
                        }
                    }
                    breaks.sort()
                    var lambdas = [breaks.first! / 2, breaks.last! * 2]
                    for (a, b) in zip(breaks, breaks.dropFirst()) where b > a { lambdas.append((a * b).squareRoot()) }
                    var best = try GraphPathLifting.squaredL2PathMetric(net, q)
                    for lambda in lambdas {
                        var member = q
                        for (i, item) in family.enumerated() {
                            item.p.set(grid.round(item.sign > 0 ? z[i] * lambda : z[i] / lambda), in: &member)
                        }
                        best = min(best, try GraphPathLifting.squaredL2PathMetric(net, member))
                    }
                    try GraphQuantizer.tiedGroupStep(net, &q, group: group, index: k, plan: plan, grids: grids,
                                                     options: options)
                    let mine = try GraphPathLifting.squaredL2PathMetric(net, q)
                    #expect(mine <= best + 1e-10 * best, "seed \(seed) group \(k): \(mine) vs \(best)")
                    tied += 1
                }
            }
            #expect(tied >= 2)
        }
    }

    @Test("cd stays on the grids, its sweeps never increase the metric, and it ends no worse than RTN and CLE")
    func monotoneAndBounded() throws {
        var graphs = [("tinyCNN", try tinyCNN(seed: 41)), ("tinyResNet", try tinyResNet(seed: 42))]
        for seed in UInt64(0)..<4 { graphs.append(("random\(seed)", try randomGraph(seed: 500 + seed))) }
        for (name, g) in graphs {
            for spec in [try GraphGridSpec.uniform(weight: Self.e3m2()), .integerPerNode(bits: 4)] {
                var options = GraphCoordinateDescentOptions()
                options.maxSweeps = 4
                let cd = try GraphQuantizer.quantize(g, method: .coordinateDescent, grids: spec, options: options)
                #expect(onGrids(cd.network, cd.grids), "\(name)")
                #expect(cd.history.count >= 2 && cd.sweeps >= 1, "\(name): no sweep ran, nothing to check")
                for (a, b) in zip(cd.history, cd.history.dropFirst()) { #expect(b <= a * (1 + 1e-12), "\(name)") }
                let rtn = try GraphQuantizer.quantize(g, method: .rtn, grids: spec)
                let cle = try GraphQuantizer.quantize(g, method: .cle, grids: spec)
                #expect(cd.l2PathMetric <= rtn.l2PathMetric * (1 + 1e-12), "\(name): cd \(cd.l2PathMetric) rtn \(rtn.l2PathMetric)")
                #expect(cd.l2PathMetric <= cle.l2PathMetric * (1 + 1e-9), "\(name): cd \(cd.l2PathMetric) cle \(cle.l2PathMetric)")
            }
        }
    }

    /// Expects more than three values (so that there are steps to check), none above its predecessor beyond
    /// rounding (relative 1e-12).
    func expectNonIncreasing(_ values: [Double], _ label: String) {
        #expect(values.count > 3, "\(label): too few steps to check")
        for (i, (a, b)) in zip(values, values.dropFirst()).enumerated() {
            #expect(b <= a * (1 + 1e-12), "\(label) step \(i): \(a) → \(b)")
        }
    }

    @Test("every step of one descent lowers or keeps the metric (hook)")
    func everyStep() throws {
        for (name, g) in [("tinyCNN", try tinyCNN(seed: 51)), ("tinyResNet", try tinyResNet(seed: 52)),
                          ("random", try randomGraph(seed: 53))] {
            let net = try g.normalForm().network
            let grids = try GraphGridSpec.uniform(weight: Self.e3m2()).resolve(for: net)
            let start = GraphQuantizer.roundToNearest(net, grids)
            let log = MetricLog()
            var options = GraphCoordinateDescentOptions()
            options.maxSweeps = 3
            options.afterStep = { q in log.append((try? GraphPathLifting.squaredL2PathMetric(net, q)) ?? .nan) }
            let r = try GraphQuantizer.coordinateDescent(net, start: start, grids: grids, options: options)
            expectNonIncreasing([try GraphPathLifting.squaredL2PathMetric(net, start)] + log.values, "\(name)")
            #expect(r.history.last! <= r.history.first!)
        }
    }

    @Test("large-graph mode (tied groups ranked by the separable model): every step lowers or keeps the metric, cd ≤ RTN and CLE, and it moves the tied groups")
    func modelRankedTiedSteps() throws {
        for seed in [61, 62, 63] {
            let g = try tinyResNet(seed: UInt64(seed))
            let net = try g.normalForm().network
            for spec in [try GraphGridSpec.uniform(weight: Self.e3m2()), .integerPerNode(bits: 4)] {
                let grids = try spec.resolve(for: net)
                let start = GraphQuantizer.roundToNearest(net, grids)
                let log = MetricLog()
                var options = GraphCoordinateDescentOptions()
                options.maxSweeps = 3
                options.tiedExactMaxEdges = 0  // every graph counts as large
                options.afterStep = { q in log.append((try? GraphPathLifting.squaredL2PathMetric(net, q)) ?? .nan) }
                let r = try GraphQuantizer.coordinateDescent(net, start: start, grids: grids, options: options)
                expectNonIncreasing([try GraphPathLifting.squaredL2PathMetric(net, start)] + log.values, "seed \(seed)")
                #expect(r.history.last! < r.history.first!, "seed \(seed): no descent")
                var exact = options
                exact.tiedExactMaxEdges = .max
                exact.afterStep = nil
                let full = try GraphQuantizer.coordinateDescent(net, start: start, grids: grids, options: exact)
                // Not a claim that the model mode is as good, only that both descend from the same start.
                #expect(full.history.last! <= full.history.first!)
                try expectCdOnGridsAndNoWorseThanRtnAndCle(g, spec, options, "seed \(seed)")
            }
        }
    }

    @Test("the separable model of a tied group equals its definition Σ a_p (z_p − v_p(λ)/λ^s)² at the pieces' points")
    func separableModelMatchesDefinition() throws {
        let net = try tinyResNet(seed: 71).normalForm().network
        let grids = try GraphGridSpec.uniform(weight: Self.e3m2()).resolve(for: net)
        let q = GraphQuantizer.roundToNearest(net, grids)
        let plan = try GraphDescentPlan(net, grids)
        let k = try #require(plan.searched.flatMap { $0 }.first, "the tiny ResNet has a tied group")
        let ref = try GraphPathLifting.aligned(net, to: q)
        let params = GraphQuantizer.groupFamily(ref, group: plan.structure.groups[k], index: k, structure: plan.structure)
        let window = FamilyWindow(binades: 2, maxEvents: 5_000, fullRangeMaxEvents: 0)
        let pieces = try #require(GraphQuantizer.familyPieces(params, reference: ref, current: q, grids: grids, window: window))
        let norms = GroupSearchNorms(q)
        let model = GraphQuantizer.separableFamilyModel(params, reference: ref, norms: norms, pieces: pieces, current: q)
        // a_p from the quantities pass (N̂ and M̂ of q), independently of the model's own loops.
        let pq = try GraphPathLifting.quantities(ref, q)
        var a = [Double](repeating: 0, count: params.count)
        for (i, item) in params.enumerated() {
            let p = item.p
            if p.isBias {
                let sp = ref.spatialSize(ofValue: p.node + 1)
                for t in (p.index * sp)..<((p.index + 1) * sp) { a[i] += pq.backwardNormSquared[p.node + 1][t] }
            } else {
                ref.forEachEdge(p.node) { out, _, input, w in
                    if w == p.index {
                        a[i] += pq.forwardNormSquared[ref.sourceValues[p.node][0]][input] * pq.backwardNormSquared[p.node + 1][out]
                    }
                }
            }
        }
        let l0 = GraphQuantizer.familyScale(params, reference: ref, current: q)
        func f(_ v: [Double], _ lambda: Double) -> Double {
            var s = 0.0
            for (i, item) in params.enumerated() {
                let z = item.p.value(in: ref)
                s += item.sign > 0 ? l0 * l0 * a[i] * pow(z - v[i] / lambda, 2) : a[i] * pow(z - lambda * v[i], 2) / (l0 * l0)
            }
            return s
        }
        #expect(pieces.pieceEnds.count > 10)
        for r in Swift.stride(from: 1, to: pieces.pieceEnds.count - 1, by: 7) {
            let lo = pieces.events[pieces.pieceEnds[r] - 1].lambda, hi = pieces.events[pieces.pieceEnds[r]].lambda
            let v = pieces.values(atPiece: r)
            let direct = [lo, hi, (lo * hi).squareRoot()].map { f(v, $0) }.min()!
            #expect(abs(model.pieces[r] - direct) <= 1e-9 * max(abs(direct), 1e-300), "piece \(r)")
        }
        let current = params.map { $0.p.value(in: q) }
        #expect(abs(model.current - f(current, l0)) <= 1e-9 * abs(f(current, l0)))
    }

    @Test("wide and unbounded grids: the tied window shrinks to the event budget; cd still ≤ RTN and CLE")
    func wideGrids() throws {
        let g = try tinyResNet(seed: 91)
        for (name, budget) in [("p=4", 60_000), ("p=4", 40), ("p=20", 40), ("bf16", 40)] {
            let spec = GraphGridSpec.uniform(weight: try FormatCatalog.grid(named: name))
            do {
                var options = GraphCoordinateDescentOptions()
                options.maxSweeps = 2
                options.tiedMaxEvents = budget
                try expectCdOnGridsAndNoWorseThanRtnAndCle(g, spec, options, "\(name) budget \(budget)")
            }
        }
        // An unbounded weight grid with a bounded bias grid cannot be swept by the channel solver: a clear error.
        do {
            _ = try GraphQuantizer.quantize(g, method: .coordinateDescent,
                                            grids: .uniform(weight: try FormatCatalog.grid(named: "p=4"),
                                                            bias: try FormatCatalog.grid(named: "e4m3")))
        } catch let GraphError.unsupported(message) {
            #expect(message.contains("unbounded"))
        }
    }

    @Test("bundled CNN and folded ResNet: cd ≤ RTN and CLE, on the grids, immune to rescaling (few sweeps)")
    func bundled() throws {
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = 1
        options.tiedWindowBinades = 0.25
        options.tiedFullRangeMaxEvents = 0
        options.tiedRefinementRounds = 1
        for name in ["cnn", "resnet"] {
            let g = try GraphNetwork.load(spec: resource("models/digits_\(name).json"))
            let spec = GraphGridSpec.integerPerNode(bits: 4)
            let cd = try GraphQuantizer.quantize(g, method: .coordinateDescent, grids: spec, options: options)
            let rtn = try GraphQuantizer.quantize(g, method: .rtn, grids: spec)
            let cle = try GraphQuantizer.quantize(g, method: .cle, grids: spec)
            #expect(cd.foldedBatchNorm == (name == "resnet"))
            #expect(onGrids(cd.network, cd.grids))
            #expect(cd.l2PathMetric <= rtn.l2PathMetric && cd.l2PathMetric <= cle.l2PathMetric * (1 + 1e-9),
                    "\(name): cd \(cd.l2PathMetric), rtn \(rtn.l2PathMetric), cle \(cle.l2PathMetric)")
            let rescaled = try g.foldingBatchNorm().randomlyRescaled(choices: [1, 128, 4096], seed: 3).network
            let again = try GraphQuantizer.quantize(rescaled, method: .coordinateDescent, grids: spec, options: options)
            #expect(relDiff(cd.l2PathMetric, again.l2PathMetric) <= 1e-12, "\(name)")
        }
    }
}

@Suite("Graphs: incremental path-metric")
struct GraphIncrementalMetricTests {
    @Test("propagating changes gives the recomputed metric after every batch of random parameter changes")
    func matchesRecomputation() throws {
        var graphs = [try tinyCNN(seed: 71), try tinyCNN(seed: 72, maxPool: false), try tinyResNet(seed: 73),
                      try GraphRescalingTests.bundled("resnet")]
        for seed in UInt64(0)..<4 { graphs.append(try randomGraph(seed: 80 + seed)) }
        for (gi, g) in graphs.enumerated() {
            let net = try g.normalForm().network
            let grid = try FormatCatalog.grid(named: "e3m2")
            var q = GraphQuantizer.roundToNearest(net, try GraphGridSpec.uniform(weight: grid).resolve(for: net))
            var params: [GraphParameter] = []
            for (n, node) in net.nodes.enumerated() where node.operation.isAffine {
                params += node.weight.indices.map { GraphParameter(node: n, index: $0, isBias: false) }
                params += node.bias.indices.map { GraphParameter(node: n, index: $0, isBias: true) }
            }
            var metric = IncrementalPathMetric(reference: net, quantized: q)
            metric.refreshInterval = 1000
            var rng = SeededGenerator(seed: 90 + UInt64(gi))
            #expect(relDiff(metric.value(), GraphPathLifting.squaredL2PathMetricAsGiven(net, q)) < 1e-12)
            for step in 0..<60 {
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let p = params[Int(rng.next() % UInt64(params.count))]
                    let v = grid.round(p.value(in: q) * (0.5 + 1.5 * rng.nextUnit()) + 0.2 * rng.nextGaussian())
                    p.set(v, in: &q)
                    metric.set(p, v)
                }
                let exact = GraphPathLifting.squaredL2PathMetricAsGiven(net, q)
                #expect(abs(metric.value() - exact) <= 1e-11 * max(exact, 1e-300), "graph \(gi) step \(step)")
            }
        }
    }
}
