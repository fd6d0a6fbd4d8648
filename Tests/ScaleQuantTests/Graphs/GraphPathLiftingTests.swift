import Foundation
import Testing
@testable import ScaleQuant

@Suite("Graphs: path-lifting measures")
struct GraphPathLiftingTests {
    /// Tiny graphs for the enumeration oracle, paired with an independent second graph of the same structure.
    static func pairs() throws -> [(String, GraphNetwork, GraphNetwork)] {
        [("tinyCNN", try tinyCNN(seed: 1), try tinyCNN(seed: 11)),
         ("tinyCNN-avg", try tinyCNN(seed: 2, maxPool: false), try tinyCNN(seed: 12, maxPool: false)),
         ("tinyResNet", try tinyResNet(seed: 3), try tinyResNet(seed: 13)),
         ("random", try smallRandomGraph(), try smallRandomGraph().mapped { $0 * 0.7 + 0.01 })]
    }

    @Test("path-norms (q = 1, 2, 3), ⟨Φ, Φ'⟩ and the ℓ² metric equal brute-force enumeration")
    func matchEnumeration() throws {
        for (name, a, b) in try Self.pairs() {
            let pa = try GraphPathLifting.enumeratePaths(a), pb = try GraphPathLifting.enumeratePaths(b)
            #expect(pa.count == pb.count && pa.count > 100, "\(name)")
            for q in [1.0, 2.0, 3.0] {
                let brute = pa.reduce(0) { $0 + pow(abs($1), q) }
                #expect(try relDiff(GraphPathLifting.pathNormPower(a, q: q), brute) < 1e-12, "\(name) q=\(q)")
                #expect(try relDiff(GraphPathLifting.pathNorm(a, q: q), pow(brute, 1 / q)) < 1e-12, "\(name)")
            }
            let ip = zip(pa, pb).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(try relDiff(GraphPathLifting.innerProduct(a, b), ip) < 1e-12, "\(name)")
            let d2 = zip(pa, pb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            #expect(try relDiff(GraphPathLifting.squaredL2PathMetric(a, b), d2) < 1e-11, "\(name)")
            #expect(try relDiff(GraphPathLifting.l2PathMetricByPolarization(a, b), d2.squareRoot()) < 1e-9)
            // ℓ¹: the bound holds against the exact enumerated ℓ¹ metric for a same-sign perturbation.
            let c = perturbedSameSign(a, seed: 5, epsilon: 0.2)
            let pc = try GraphPathLifting.enumeratePaths(c)
            let l1 = zip(pa, pc).reduce(0) { $0 + abs($1.0 - $1.1) }
            let asGiven = GraphPathLifting.l1BoundAsGiven(a, c)
            let brute = try GraphPathLifting.enumeratePaths(a.combined(with: c) { max(abs($0), abs($1)) })
                .reduce(0, +) - GraphPathLifting.enumeratePaths(a.combined(with: c) { min(abs($0), abs($1)) }).reduce(0, +)
            #expect(relDiff(asGiven, brute) < 1e-12, "\(name)")
            let bound = try #require(try GraphPathLifting.l1PathMetricBound(a, c))
            #expect(l1 <= bound * (1 + 1e-12), "\(name)")
            #expect(try GraphPathLifting.l1PathMetricBound(a, b) == nil || GraphPathLifting.signsAgree(a, b))
        }
    }

    @Test("every measure is unchanged under random rescaling of either graph")
    func rescalingInvariance() throws {
        for (name, a, b) in try Self.pairs() + [("cnn", try GraphRescalingTests.bundled("cnn"),
                                                  perturbedSameSign(try GraphRescalingTests.bundled("cnn"), seed: 1,
                                                                    epsilon: 0.05)),
                                                 ("resnet", try GraphRescalingTests.bundled("resnet"),
                                                  try GraphRescalingTests.bundled("resnet").mapped { $0 * 0.9 })] {
            let c = perturbedSameSign(a, seed: 8, epsilon: 0.1)
            let ra = try a.randomlyRescaled(choices: [1, 128, 4096], seed: 1).network
            let rb = try b.rescaled(by: try randomFactors(b, seed: 2))
            let rc = try c.randomlyRescaled(choices: [1, 128, 4096], seed: 3).network
            for q in [1.0, 2.0, 3.0] {
                #expect(try relDiff(GraphPathLifting.pathNormPower(ra, q: q),
                                try GraphPathLifting.pathNormPower(a, q: q)) < 1e-12, "\(name)")
            }
            #expect(try relDiff(GraphPathLifting.innerProduct(ra, rb), GraphPathLifting.innerProduct(a, b)) < 1e-12)
            #expect(try relDiff(GraphPathLifting.l2PathMetric(ra, rb), GraphPathLifting.l2PathMetric(a, b)) < 1e-12,
                    "\(name)")
            #expect(try relDiff(GraphPathLifting.l2PathMetric(ra, rc), GraphPathLifting.l2PathMetric(a, c)) < 1e-10,
                    "\(name)")
            let l1 = try #require(try GraphPathLifting.l1PathMetricBound(a, c))
            let l1r = try #require(try GraphPathLifting.l1PathMetricBound(ra, rc))
            let cert = try #require(try GraphPathLifting.certifiedOutputBound(ra, rc, radius: 3))
            #expect(relDiff(l1r, l1) < 1e-10, "\(name)")
            #expect(relDiff(cert, 3 * l1) < 1e-10, "\(name)")
        }
    }

    @Test("on perceptron graphs every measure equals enumeration (library and hand-built) and the dense solvers' passes")
    func perceptronOracles() throws {
        for (k, widths) in [[3, 4, 3, 2], [5, 7, 1], [4, 2, 3, 2, 2]].enumerated() {
            let a = GraphNetwork.randomPerceptron(widths: widths, seed: 40 + UInt64(k), biasScale: 0.6)
            let b = GraphNetwork.randomPerceptron(widths: widths, seed: 50 + UInt64(k), biasScale: 0.6)
            let c = a.mapped { $0 * 1.05 }
            #expect(a.perceptronWidths == widths)
            // The library's enumerator lists the same multiset of path values as a dense enumeration by hand
            // (both multiply along the path in the same order, so the values agree exactly).
            let pa = try GraphPathLifting.enumeratePaths(a), pb = try GraphPathLifting.enumeratePaths(b)
            let pc = try GraphPathLifting.enumeratePaths(c)
            #expect(pa.sorted() == densePaths(a) && pb.sorted() == densePaths(b), "\(widths)")
            for q in [1.0, 2.0, 3.0] {
                let brute = pa.reduce(0) { $0 + pow(abs($1), q) }
                #expect(try relDiff(GraphPathLifting.pathNormPower(a, q: q), brute) < 1e-13, "\(widths) q=\(q)")
            }
            let ip = zip(pa, pb).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(try relDiff(GraphPathLifting.innerProduct(a, b), ip) < 1e-13, "\(widths)")
            let d2 = zip(pa, pb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            #expect(try relDiff(GraphPathLifting.squaredL2PathMetric(a, b), d2) < 1e-12, "\(widths)")
            // ℓ¹: the as-given bound is ‖Φ(max(|θ|,|θ'|))‖₁ − ‖Φ(min(|θ|,|θ'|))‖₁ by enumeration.
            let hi = try GraphPathLifting.enumeratePaths(a.combined(with: c) { max(abs($0), abs($1)) }).reduce(0, +)
            let lo = try GraphPathLifting.enumeratePaths(a.combined(with: c) { min(abs($0), abs($1)) }).reduce(0, +)
            #expect(relDiff(GraphPathLifting.l1BoundAsGiven(a, c), hi - lo) < 1e-13, "\(widths)")
            // The public ℓ¹ bound uses normal forms (rescaling-invariant); it is valid and not much looser than the
            // bound on the parameters as given (θ' as given or aligned to θ neuron by neuron).
            let exact = zip(pa, pc).reduce(0) { $0 + abs($1.0 - $1.1) }
            let bound = try #require(try GraphPathLifting.l1PathMetricBound(a, c))
            let asGiven = min(GraphPathLifting.l1BoundAsGiven(a, c),
                              GraphPathLifting.l1BoundAsGiven(a, try GraphPathLifting.aligned(c, to: a)))
            #expect(exact <= bound * (1 + 1e-12), "\(widths)")
            #expect(exact <= asGiven * (1 + 1e-12), "\(widths)")
            #expect(bound <= 1.5 * asGiven, "\(widths): \(bound) vs \(asGiven)")
            // Coordinate-descent quantities: the graph's backward pass equals the enumerated out-path sums and the
            // dense-chain solvers' own backward pass.
            let back = try GraphPathLifting.backwardQuantities(a, c)
            let outA = try GraphPathEnumerator.outPaths(a), outC = try GraphPathEnumerator.outPaths(c)
            let (G, M) = DenseChainQuantizer.backwardQuantities(try #require(DenseChain(a)), try #require(DenseChain(c)))
            for l in 0..<(widths.count - 1) {
                let v = 2 * l + 1  // the value of linear node 2l
                let g = zip(outA[v], outC[v]).map { zip($0, $1).reduce(0) { $0 + $1.0 * $1.1 } }
                let m = outC[v].map { $0.reduce(0) { $0 + $1 * $1 } }
                #expect(maxRelDiff(back.inner[v], g) < 1e-13, "\(widths) layer \(l)")
                #expect(maxRelDiff(back.normSquared[v], m) < 1e-13, "\(widths) layer \(l)")
                #expect(maxRelDiff(back.inner[v], G[l]) < 1e-13, "\(widths) layer \(l)")
                #expect(maxRelDiff(back.normSquared[v], M[l]) < 1e-13, "\(widths) layer \(l)")
            }
        }
    }

    @Test("the ℓ² metric has no cancellation: graphs 1e-9 apart agree with enumeration")
    func noCancellation() throws {
        for (name, a, _) in try Self.pairs() {
            var rng = SeededGenerator(seed: 3)
            let b = a.mapped { $0 + 1e-9 * rng.nextGaussian() }
            let pa = try GraphPathLifting.enumeratePaths(a), pb = try GraphPathLifting.enumeratePaths(b)
            let d2 = zip(pa, pb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            #expect(try relDiff(GraphPathLifting.squaredL2PathMetric(a, b), d2) < 1e-6, "\(name)")
            // Enumerated in a different scale, still the same.
            let rb = try b.randomlyRescaled(choices: [1, 128, 4096], seed: 6).network
            #expect(try relDiff(GraphPathLifting.squaredL2PathMetric(a, rb), d2) < 1e-6, "\(name)")
        }
    }

    @Test("the certified bound holds on 10,000 random inputs per radius", arguments: ["tinyCNN", "tinyResNet"])
    func certifiedBound(_ which: String) throws {
        let a = which == "tinyCNN" ? try tinyCNN(seed: 21) : try tinyResNet(seed: 22)
        let b = perturbedSameSign(a, seed: 4, epsilon: 0.05)
        let n = 10_000
        for r in [0.25, 1, 4] {
            let bound = try #require(try GraphPathLifting.certifiedOutputBound(a, b, radius: r))
            let x = uniformSamples(n * a.inputSize, radius: r, seed: UInt64(r * 100))
            let ya = try a.forward(x, batch: n), yb = try b.forward(x, batch: n)
            var worst = 0.0
            for s in 0..<n {
                var d = 0.0
                for o in 0..<a.outputSize { d += abs(ya[s * a.outputSize + o] - yb[s * a.outputSize + o]) }
                worst = max(worst, d)
            }
            #expect(worst <= bound, "\(which) r=\(r): \(worst) > \(bound)")
            #expect(worst > 0)
        }
        // Disagreeing signs: no bound; a negative radius is an error.
        #expect(try GraphPathLifting.certifiedOutputBound(a, a.mapped { -$0 }) == nil)
        #expect(throws: GraphError.self) { _ = try GraphPathLifting.certifiedOutputBound(a, b, radius: -1) }
    }

    @Test("mismatched graphs and bad exponents are errors")
    func errors() throws {
        let a = try tinyCNN(seed: 1), b = try tinyResNet(seed: 1)
        #expect(throws: GraphError.self) { _ = try GraphPathLifting.innerProduct(a, b) }
        #expect(throws: GraphError.self) { _ = try GraphPathLifting.l2PathMetric(a, b) }
        #expect(throws: GraphError.self) { _ = try GraphPathLifting.pathNorm(a, q: 0) }
        #expect(throws: GraphError.self) { _ = try GraphPathLifting.forwardQuantities(a, b) }
        #expect(!GraphPathLifting.signsAgree(a, b))
        #expect(throws: GraphError.self) { _ = try GraphPathEnumerator.paths(a, limit: 10) }
    }
}
