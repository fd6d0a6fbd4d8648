import Synchronization
import Testing
@testable import ScaleQuant

/// The quantizers on perceptron graphs (``GraphQuantizer`` hands them to the dense-chain solvers).
@Suite("Networks: quantizers on perceptrons")
struct NetworkQuantizerTests {
    static let e2m1 = FormatCatalog.preset(named: "e2m1")!
    static let e4m3 = FormatCatalog.preset(named: "e4m3")!

    @Test("exact equals brute force over all quantized 2-2-1 networks (int3 grid, 7 values)")
    func exactBruteForce() throws {
        let grid = try IntegerGrid(bits: 3)
        let vals: [Double] = [-3, -2, -1, 0, 1, 2, 3]
        for seed in 0..<3 as Range<UInt64> {
            let net = GraphNetwork.randomPerceptron(widths: [2, 2, 1], seed: 100 + seed, biasScale: 1).mapped { $0 * 1.7 }
            let r = try GraphQuantizer.quantize(net, method: .exact, grids: .uniform(weight: grid))
            let layers = try denseLayers(net), l1 = layers[0], l2 = layers[1]
            var best = Double.infinity
            let x0 = l2[0, 0], x1 = l2[0, 1]
            let y00 = l1[0, 0], y01 = l1[0, 1], y0b = l1.bias[0], y10 = l1[1, 0], y11 = l1[1, 1], y1b = l1.bias[1]
            // Φ (without b2): for neuron j, the paths W2[j]·W1[j,0], W2[j]·W1[j,1], W2[j]·b1[j].
            for a0 in vals { for a1 in vals { for p00 in vals { for p01 in vals { for p0b in vals {
                let d0 = x0 * y00 - a0 * p00, d1 = x0 * y01 - a0 * p01, d2 = x0 * y0b - a0 * p0b
                let e0 = d0 * d0 + d1 * d1 + d2 * d2
                for p10 in vals { for p11 in vals { for p1b in vals {
                    let f0 = x1 * y10 - a1 * p10, f1 = x1 * y11 - a1 * p11, f2 = x1 * y1b - a1 * p1b
                    best = min(best, e0 + f0 * f0 + f1 * f1 + f2 * f2)
                } } }
            } } } } }
            let b2 = vals.map { ($0 - l2.bias[0]) * ($0 - l2.bias[0]) }.min()!
            let brute = (best + b2).squareRoot()
            #expect(relDiff(r.l2PathMetric, brute) < 1e-9, "seed \(seed): exact \(r.l2PathMetric) vs brute \(brute)")
            let rtn = try GraphQuantizer.quantize(net, method: .rtn, grids: .uniform(weight: grid))
            #expect(r.l2PathMetric <= rtn.l2PathMetric * (1 + 1e-12))
        }
    }

    @Test("exact on a deeper perceptron is refused, suggesting cd")
    func exactDeep() {
        let net = GraphNetwork.randomPerceptron(widths: [3, 4, 4, 2], seed: 1)
        do {
            _ = try GraphQuantizer.quantize(net, method: .exact, grids: .uniform(weight: Self.e2m1))
            Issue.record("exact accepted two hidden layers")
        } catch let GraphError.unsupported(reason) {
            #expect(reason.contains("one hidden layer") && reason.contains("cd"), "\(reason)")
        } catch { Issue.record("unexpected error \(error)") }
    }

    @Test("coordinate descent never increases the metric and ends no worse than left-to-right",
          arguments: [0, 1, 2, 3])
    func cdMonotone(_ k: Int) throws {
        let widths: [[Int]] = [[4, 6, 5, 3], [3, 5, 5, 4, 2], [5, 8, 3], [4, 6, 5, 3]]
        let grids: [GraphGridSpec] = [.uniform(weight: Self.e2m1), .integerPerNode(bits: 3, biasBits: 4),
                                      .uniform(weight: FormatCatalog.preset(named: "e3m2")!),
                                      .uniform(weight: Self.e2m1, bias: Self.e4m3)]
        let net = GraphNetwork.randomPerceptron(widths: widths[k], seed: 50 + UInt64(k), biasScale: 0.5)
        // One segment per descent (cd descends on every grid choice): (start value, values after each step).
        let segments = Mutex<[(start: Double, steps: [Double])]>([])
        var options = GraphCoordinateDescentOptions()
        options.beforeDescent = { v in segments.withLock { $0.append((v, [])) } }
        options.afterStep = { q in
            let m = (try? GraphPathLifting.squaredL2PathMetric(net, q)) ?? .nan
            segments.withLock { $0[$0.count - 1].steps.append(m) }
        }
        let cd = try GraphQuantizer.quantize(net, method: .coordinateDescent, grids: grids[k], options: options)
        let l2r = try GraphQuantizer.quantize(net, method: .leftToRight, grids: grids[k])
        let runs = segments.withLock { $0 }
        #expect(!runs.isEmpty && runs.allSatisfy { !$0.steps.isEmpty })
        // Integer grids with per-layer steps: two grid choices (normal form, equalized normal form), else one.
        #expect(runs.count == (k == 1 ? 2 : 1))
        for run in runs {
            var previous = run.start
            for v in run.steps {
                #expect(v <= previous * (1 + 1e-12) + 1e-300)
                previous = v
            }
        }
        #expect(cd.l2PathMetric <= l2r.l2PathMetric * (1 + 1e-12))
        if k != 1 { #expect(cd.history.first.map { $0 <= l2r.l2PathMetric * (1 + 1e-12) } ?? false) }
        // The end point is the best of the runs' ends.
        let ends = runs.map { $0.steps.last! }
        #expect(abs(cd.l2PathMetric * cd.l2PathMetric - ends.min()!) <= 1e-9 * ends.min()! + 1e-300)
        // Every parameter lies on its grid (the grids cd reports, which for k = 1 are one of its two choices).
        for (n, node) in cd.network.nodes.enumerated() where node.operation.isAffine {
            let w = try #require(cd.grids.weights[n]), b = try #require(cd.grids.biases[n])
            #expect(node.weight.allSatisfy { w.round($0) == $0 } && node.bias.allSatisfy { b.round($0) == $0 })
        }
    }

    @Test("cd ends no worse than RTN and CLE (integer grids: it also descends on CLE's grids)", arguments: [0, 1, 2])
    func cdBeatsBaselines(_ k: Int) throws {
        let widths: [[Int]] = [[8, 16, 12, 4], [6, 20, 5], [5, 9, 9, 9, 3]]
        let net = GraphNetwork.randomPerceptron(widths: widths[k], seed: 300 + UInt64(k), biasScale: 0.3)
        for spec in [GraphGridSpec.integerPerNode(bits: 4, biasBits: 4), .integerPerNode(bits: 3, biasBits: 8),
                     .uniform(weight: Self.e2m1), .uniform(weight: Self.e4m3)] {
            var options = GraphCoordinateDescentOptions()
            options.maxSweeps = 5
            let cd = try GraphQuantizer.quantize(net, method: .coordinateDescent, grids: spec, options: options)
            for method in [QuantizationMethod.rtn, .cle] {
                let base = try GraphQuantizer.quantize(net, method: method, grids: spec)
                #expect(cd.l2PathMetric <= base.l2PathMetric * (1 + 1e-9),
                        "\(widths[k]) \(method): cd \(cd.l2PathMetric) vs \(base.l2PathMetric)")
            }
        }
    }

    @Test("subproblem weights: the forward and backward quantities reproduce ⟨Φ, Φ̂⟩ and ‖Φ̂‖² across a cut")
    func subproblemWeights() throws {
        let net = GraphNetwork.randomPerceptron(widths: [5, 7, 3], seed: 61, biasScale: 0.4)
        let q = try GraphQuantizer.quantize(net, method: .rtn, grids: .uniform(weight: Self.e2m1)).network
        let a = try #require(DenseChain(net)), b = try #require(DenseChain(q))
        let (F, N, G, M) = DenseChainQuantizer.subproblemWeights(a, b)
        let out = a.layers[1], qo = b.layers[1]
        // Paths crossing the hidden units (F[1]·G[0], N[1]·M[0]) plus the output biases' paths.
        var inner = 0.0, norm = 0.0
        for j in 0..<7 { inner += F[1][j] * G[0][j]; norm += N[1][j] * M[0][j] }
        for o in 0..<3 { inner += out.bias[o] * qo.bias[o]; norm += qo.bias[o] * qo.bias[o] }
        #expect(try relDiff(inner, GraphPathLifting.innerProduct(net, q)) < 1e-12)
        #expect(try relDiff(norm, GraphPathLifting.pathNormPower(q, q: 2)) < 1e-12)
        #expect(F[0] == [Double](repeating: 1, count: 5) && G[1] == [Double](repeating: 1, count: 3))
    }

    @Test("CLE keeps the function, equalizes the ranges and reaches the same fixed point from every rescaling")
    func cle() throws {
        let net = GraphNetwork.randomPerceptron(widths: [6, 12, 10, 8, 3], seed: 41)
        let rescaled = try net.randomlyRescaled(choices: [1, 128, 4096], seed: 2).network
        let eq = DenseChainQuantizer.crossLayerEqualized(try #require(DenseChain(rescaled))).network
        let base = DenseChainQuantizer.crossLayerEqualized(try #require(DenseChain(net))).network
        for (la, lb) in zip(base.layers, eq.layers) {
            for (x, y) in zip(la.weight + la.bias, lb.weight + lb.bias) { #expect(abs(x - y) <= 1e-12 * max(abs(x), 1e-300)) }
        }
        var rng = SeededGenerator(seed: 42)
        let x = rng.gaussians(20 * 6)
        for (u, v) in zip(try net.forward(x, batch: 20), try eq.graph.forward(x, batch: 20)) {
            #expect(abs(u - v) <= 1e-12 * (1 + abs(u)))
        }
        #expect(try relDiff(GraphPathLifting.pathNorm(eq.graph, q: 2), GraphPathLifting.pathNorm(net, q: 2)) < 1e-12)
        for l in 0..<3 {
            let a = eq.layers[l], b = eq.layers[l + 1]
            for i in 0..<a.outputs {
                let r1 = (0..<a.inputs).map { abs(a[i, $0]) }.max()!, r2 = (0..<b.outputs).map { abs(b[$0, i]) }.max()!
                #expect(relDiff(r1, r2) < 1e-6)
            }
        }
    }

    @Test("the certified output bound of a quantized perceptron holds on 10,000 random inputs", arguments: [0, 1, 2])
    func certifiedBound(_ k: Int) throws {
        let widths: [[Int]] = [[3, 5, 2], [4, 6, 5, 3], [2, 8, 8, 2]]
        let methods: [QuantizationMethod] = [.rtn, .coordinateDescent, .cle]
        let net = GraphNetwork.randomPerceptron(widths: widths[k], seed: 90 + UInt64(k), biasScale: 0.5)
        let q = try GraphQuantizer.quantize(net, method: methods[k], grids: .uniform(weight: Self.e2m1)).network
        var rng = SeededGenerator(seed: 5)
        for r in [0.5, 1.0, 4.0] {
            let bound = try #require(try GraphPathLifting.certifiedOutputBound(net, q, radius: r))
            let n = 10_000, d = net.inputSize, m = net.outputSize
            let x = (0..<(n * d)).map { _ in r * (2 * rng.nextUnit() - 1) }
            let ya = try net.forward(x, batch: n), yb = try q.forward(x, batch: n)
            var worst = 0.0
            for s in 0..<n {
                var e = 0.0
                for o in 0..<m { e += abs(ya[s * m + o] - yb[s * m + o]) }
                worst = max(worst, e)
            }
            #expect(worst <= bound, "radius \(r): observed \(worst) > bound \(bound)")
        }
    }
}
