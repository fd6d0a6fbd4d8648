import Testing
@testable import ScaleQuant

/// Σ (R_a(x) − R_b(x))² over a batch, by two full forward passes.
func squaredOutputError(_ a: GraphNetwork, _ b: GraphNetwork, _ x: [Double], count: Int) throws -> Double {
    let ya = try a.forward(x, batch: count), yb = try b.forward(x, batch: count)
    return zip(ya, yb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
}

/// All conv2d/linear parameters of a graph.
func allParameters(_ g: GraphNetwork) -> [GraphParameter] {
    var params: [GraphParameter] = []
    for (n, node) in g.nodes.enumerated() where node.operation.isAffine {
        params += node.weight.indices.map { GraphParameter(node: n, index: $0, isBias: false) }
        params += node.bias.indices.map { GraphParameter(node: n, index: $0, isBias: true) }
    }
    return params
}

@Suite("Graphs: incremental calibration state")
struct GraphCalibrationStateTests {
    @Test("after random parameter changes, every value and the error equal a fresh full evaluation")
    func matchesFullEvaluation() throws {
        var graphs = [try tinyCNN(seed: 11), try tinyCNN(seed: 12, maxPool: false), try tinyResNet(seed: 13),
                      try GraphRescalingTests.bundled("resnet").foldingBatchNorm()]
        for seed in UInt64(0)..<4 { graphs.append(try randomGraph(seed: 20 + seed)) }
        for (gi, net) in graphs.enumerated() {
            let count = 7
            let x = uniformSamples(count * net.inputSize, radius: 1, seed: 30 + UInt64(gi))
            let target = try net.forward(x, batch: count)
            let grid = try FormatCatalog.grid(named: "e3m2")
            let q = GraphQuantizer.roundToNearest(net, try GraphGridSpec.uniform(weight: grid).resolve(for: net))
            var state = try GraphCalibrationState(graph: q, inputs: x, samples: count, target: target)
            #expect(relDiff(state.error, try squaredOutputError(net, q, x, count: count)) < 1e-12)
            let params = allParameters(net)
            var rng = SeededGenerator(seed: 40 + UInt64(gi))
            for step in 0..<40 {
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let p = params[Int(rng.next() % UInt64(params.count))]
                    state.set(p, grid.round(p.value(in: state.graph) * (0.5 + 1.5 * rng.nextUnit())
                                            + 0.3 * rng.nextGaussian()))
                }
                let fresh = try GraphCalibrationState(graph: state.graph, inputs: x, samples: count, target: target)
                for v in 0..<net.valueCount {
                    let scale = max(fresh.values[v].reduce(0) { max($0, abs($1)) }, 1)
                    let diff = zip(state.values[v], fresh.values[v]).reduce(0) { max($0, abs($1.0 - $1.1)) }
                    #expect(diff <= 1e-12 * scale, "graph \(gi) step \(step) value \(v)")
                }
                let exact = try squaredOutputError(net, state.graph, x, count: count)
                #expect(abs(state.error - exact) <= 1e-10 * max(exact, 1e-300), "graph \(gi) step \(step)")
            }
        }
    }

    @Test("mis-sized targets and batch norms are refused")
    func refusals() throws {
        let net = try tinyCNN(seed: 1)
        let x = uniformSamples(2 * net.inputSize, radius: 1, seed: 1)
        #expect(throws: GraphError.self) { try GraphCalibrationState(graph: net, inputs: x, samples: 2, target: [1]) }
        let bn = try GraphNetwork.load(spec: resource("models/digits_resnet.json"))
        #expect(bn.hasBatchNorm)
        let y = uniformSamples(2 * bn.inputSize, radius: 1, seed: 2)
        #expect(throws: GraphError.self) {
            try GraphCalibrationState(graph: bn, inputs: y, samples: 2, target: [Double](repeating: 0, count: 20))
        }
    }
}

@Suite("Graphs: data-aware quantizer")
struct GraphDataAwareTests {
    @Test("the group line search finds the best piece of its window (brute force: every piece by full forward)")
    func lineSearchBruteForce() throws {
        let grid = try IntegerGrid(maxCode: 3)
        for (gi, g) in [try tinyResNet(seed: 5), try tinyCNN(seed: 6)].enumerated() {
            let net = try g.normalForm().network
            let count = 6
            let x = uniformSamples(count * net.inputSize, radius: 1, seed: 50 + UInt64(gi))
            let target = try net.forward(x, batch: count)
            let grids = try GraphGridSpec.uniform(weight: grid).resolve(for: net)
            let q = GraphQuantizer.roundToNearest(net, grids)
            let state = try GraphCalibrationState(graph: q, inputs: x, samples: count, target: target)
            let structure = try net.rescalingStructure()
            var searched = 0
            for (k, group) in structure.groups.enumerated() {
                var ref = net
                GraphPathLifting.align(&ref, group: group, to: q)
                let family = GraphQuantizer.groupFamily(net, group: group, index: k, structure: structure)
                let window = FamilyWindow(binades: 1.5, maxEvents: 100_000, fullRangeMaxEvents: 0)
                guard let pieces = GraphQuantizer.familyPieces(family, reference: ref, current: q, grids: grids,
                                                               window: window),
                      let best = pieces.bestPiece(family.map(\.p), from: state) else { continue }
                var brute = Double.infinity
                for r in pieces.pieceEnds.indices {
                    var member = q
                    for (i, v) in pieces.values(atPiece: r).enumerated() { family[i].p.set(v, in: &member) }
                    brute = min(brute, try squaredOutputError(net, member, x, count: count))
                }
                #expect(abs(best.value - brute) <= 1e-10 * brute, "graph \(gi) group \(k): \(best.value) vs \(brute)")
                #expect(pieces.pieceEnds.count > 3)
                searched += 1
            }
            #expect(searched >= 2)
        }
    }

    /// The data-aware result on `g` with small budgets, and the calibration errors of cd and CLE.
    static func run(_ g: GraphNetwork, spec: GraphGridSpec, samples count: Int, seed: UInt64,
                    hook: (@Sendable (GraphNetwork, Double) -> Void)? = nil)
        throws -> (data: GraphDataAwareResult, x: [Double]) {
        let x = uniformSamples(count * g.inputSize, radius: 1, seed: seed).map { abs($0) }
        var options = GraphDataAwareOptions()
        options.maxSweeps = 2
        options.maxEvents = 400
        options.windowBinades = 1
        options.pathMetric.maxSweeps = 2
        options.afterStep = hook
        return (try GraphDataAwareQuantizer.rescalingSearch(g, grids: spec, calibration: x, count: count, options: options), x)
    }

    @Test("every accepted step lowers the calibration error; the result is on its grids and ≤ cd and CLE")
    func monotoneAndBounded() throws {
        for (name, g) in [("tinyResNet", try tinyResNet(seed: 7)), ("random", try randomGraph(seed: 8)),
                          ("cnn", try GraphRescalingTests.bundled("cnn"))] {
            for format in ["e3m2", "int4"] {
                let spec = try GraphGridSpec(format: format)
                let steps = MetricLog()
                let (data, x) = try Self.run(g, spec: spec, samples: 16, seed: 9, hook: { _, e in steps.append(e) })
                let folded = try g.foldingBatchNorm()
                let errors = data.calibrationErrors
                #expect(onGrids(data.quantization.network, data.quantization.grids), "\(name) \(format)")
                #expect(zip(errors, errors.dropFirst()).allSatisfy { $1 <= $0 * (1 + 1e-12) }, "\(name) \(format)")
                let values = [errors[0]] + steps.values
                #expect(zip(values, values.dropFirst()).allSatisfy { $1 < $0 }, "\(name) \(format): \(values)")
                let final = try squaredOutputError(folded, data.quantization.network, x, count: 16)
                #expect(relDiff(final, errors.last!) < 1e-9, "\(name) \(format)")
                var cdOptions = GraphCoordinateDescentOptions()
                cdOptions.maxSweeps = 2
                let cd = try GraphQuantizer.quantize(g, method: .coordinateDescent, grids: spec, options: cdOptions)
                let cle = try GraphQuantizer.quantize(g, method: .cle, grids: spec)
                let cdError = try squaredOutputError(folded, cd.network, x, count: 16)
                let cleError = try squaredOutputError(folded, cle.network, x, count: 16)
                #expect(final <= cdError * (1 + 1e-9) && final <= cleError * (1 + 1e-9),
                        "\(name) \(format): data \(final), cd \(cdError), cle \(cleError)")
                #expect(steps.values.count > 0, "\(name) \(format): no step improved")
            }
        }
    }

    @Test("rounding refinement run to convergence: no single parameter's neighbouring grid value is better (brute force)")
    func roundingLocalOptimum() throws {
        for (gi, g) in [try tinyCNN(seed: 21), try tinyResNet(seed: 22)].enumerated() {
            let count = 8
            let x = uniformSamples(count * g.inputSize, radius: 1, seed: 23 + UInt64(gi))
            var options = GraphDataAwareOptions()
            options.maxSweeps = 1
            options.maxEvents = 200
            options.roundingSweeps = 50
            options.relativeTolerance = 0
            options.pathMetric.maxSweeps = 1
            let result = try GraphDataAwareQuantizer.rescalingSearch(g, grids: try GraphGridSpec(format: "e3m2"),
                                                              calibration: x, count: count, options: options)
            let q = result.quantization.network, grids = result.quantization.grids
            let reference = try g.foldingBatchNorm()
            let e = try squaredOutputError(reference, q, x, count: count)
            #expect(result.calibrationErrors.count < 1 + 1 + 50, "graph \(gi): did not converge")
            var checked = 0
            for p in allParameters(q) {
                let grid = p.grid(grids, in: q), v = p.value(in: q)
                for c in [grid.nextUp(v), grid.nextDown(v)] where c.isFinite {
                    var moved = q
                    p.set(c, in: &moved)
                    let other = try squaredOutputError(reference, moved, x, count: count)
                    #expect(other >= e * (1 - 1e-9), "graph \(gi) \(p): \(other) < \(e)")
                    checked += 1
                }
            }
            #expect(checked > 100)
        }
    }

    @Test("the result does not depend on how the input's channels are scaled (bit-identical errors)")
    func rescalingImmunity() throws {
        for g in [try tinyResNet(seed: 17), try GraphRescalingTests.bundled("cnn")] {
            let spec = try GraphGridSpec(format: "e4m3")
            let (a, x) = try Self.run(g, spec: spec, samples: 12, seed: 18)
            let rescaled = try g.foldingBatchNorm().randomlyRescaled(choices: [1, 128, 4096], seed: 19).network
            let (b, _) = try Self.run(rescaled, spec: spec, samples: 12, seed: 18)
            #expect(a.calibrationErrors == b.calibrationErrors)
            #expect(a.start == b.start)
            let folded = try g.foldingBatchNorm()
            #expect(try squaredOutputError(folded, a.quantization.network, x, count: 12)
                    == (try squaredOutputError(folded, b.quantization.network, x, count: 12)))
        }
    }

    @Test("edge cases: a graph without hidden channels, one calibration sample, all-zero inputs")
    func edgeCases() throws {
        var rng = SeededGenerator(seed: 31)
        let weight = rng.gaussians(18), bias = rng.gaussians(3)
        // One linear layer on a [6, 1, 1] input behind a flatten: not a perceptron, so the graph quantizer runs
        // (a bare linear node on [6] would be one, handed to the dense-chain solvers; checked too).
        let flattened = try GraphNetwork(inputShape: [6, 1, 1], nodes: [
            .flatten("f", input: "input"),
            .linear("fc", input: "f", weight: weight, bias: bias, inFeatures: 6, outFeatures: 3),
        ])
        let bare = try GraphNetwork(inputShape: [6], nodes: [
            .linear("fc", input: "input", weight: weight, bias: bias, inFeatures: 6, outFeatures: 3),
        ])
        #expect(flattened.perceptronWidths == nil && bare.perceptronWidths == [6, 3])
        let spec = try GraphGridSpec(format: "e2m1")
        let x = rng.gaussians(5 * 6)
        for linear in [flattened, bare] {
            #expect(try linear.channelGroups.isEmpty)
            let result = try GraphDataAwareQuantizer.quantize(linear, grids: spec, calibration: x, count: 5)
            let rtn = try GraphQuantizer.quantize(linear, method: .rtn, grids: spec)
            #expect(try squaredOutputError(linear, result.quantization.network, x, count: 5)
                    <= (try squaredOutputError(linear, rtn.network, x, count: 5)))
            #expect(onGrids(result.quantization.network, result.quantization.grids))
        }
        let g = try tinyCNN(seed: 32)
        let one = try GraphDataAwareQuantizer.quantize(g, grids: spec, calibration: uniformSamples(g.inputSize, radius: 1,
                                                                                                     seed: 33), count: 1)
        #expect(one.calibrationErrors.last! <= one.calibrationErrors.first!)
        let zeros = try GraphDataAwareQuantizer.quantize(g, grids: spec,
                                                         calibration: [Double](repeating: 0, count: 3 * g.inputSize),
                                                         count: 3)
        #expect(zeros.calibrationErrors.allSatisfy { $0.isFinite })
    }

    @Test("calibration data of the wrong size or with NaN/Inf is refused with a message")
    func badCalibration() throws {
        let g = try tinyCNN(seed: 3)
        let spec = try GraphGridSpec(format: "e4m3")
        #expect(throws: GraphError.self) {
            try GraphDataAwareQuantizer.quantize(g, grids: spec, calibration: [1, 2, 3], count: 1)
        }
        #expect(throws: GraphError.self) {
            try GraphDataAwareQuantizer.quantize(g, grids: spec, calibration: [], count: 0)
        }
        var small = GraphDataAwareOptions()
        small.maxMemoryBytes = 10_000
        do {
            _ = try GraphDataAwareQuantizer.quantize(g, grids: spec, calibration: [Double](repeating: 0.5, count: 40 * g.inputSize),
                                                     count: 40, options: small)
            Issue.record("memory limit ignored")
        } catch let GraphError.invalidArgument(message) {
            #expect(message.contains("fewer samples"))
        }
        var x = uniformSamples(2 * g.inputSize, radius: 1, seed: 4)
        x[5] = .nan
        do {
            _ = try GraphDataAwareQuantizer.quantize(g, grids: spec, calibration: x, count: 2)
            Issue.record("NaN accepted")
        } catch let GraphError.invalidArgument(message) {
            #expect(message.contains("NaN"))
        }
    }
}
