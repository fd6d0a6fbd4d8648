#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import ScaleQuant

/// Perceptron graphs (``GraphNetwork/randomPerceptron(widths:seed:biasScale:)``): the forward passes, the
/// path-lifting measures of ``GraphPathLifting`` against brute-force enumeration, and rescaling by hidden neuron.
@Suite("Networks: perceptron graphs and path-lifting")
struct PathLiftingTests {
    static let architectures: [[Int]] = [[3, 4, 3, 2], [2, 3, 1], [4, 2, 3, 2, 2], [3, 5, 2]]

    @Test("the graph and dense-chain forward passes equal a plain reference, batched and threaded")
    func forward() throws {
        let net = GraphNetwork.randomPerceptron(widths: [7, 33, 17, 5], seed: 3, biasScale: 0.5)
        let chain = try #require(DenseChain(net))
        var rng = SeededGenerator(seed: 4)
        for batch in [1, 3, 4, 9, 2000] {
            let x = rng.gaussians(batch * 7)
            let y = try net.forward(x, batch: batch), z = chain.forward(x, batch: batch)
            for r in Swift.stride(from: 0, to: batch, by: max(1, batch / 7)) {
                let ref = referenceForward(net, Array(x[(r * 7)..<((r + 1) * 7)]))
                for o in 0..<5 {
                    #expect(abs(y[r * 5 + o] - ref[o]) <= 1e-12 * (1 + abs(ref[o])))
                    #expect(abs(z[r * 5 + o] - ref[o]) <= 1e-12 * (1 + abs(ref[o])))
                }
            }
        }
    }

    @Test("path-norms, ⟨Φ, Φ'⟩, the ℓ² metric and the ℓ¹ bound agree with brute-force enumeration",
          arguments: 0..<architectures.count)
    func pathNormsMatchEnumeration(_ k: Int) throws {
        let widths = Self.architectures[k]
        let a = GraphNetwork.randomPerceptron(widths: widths, seed: 10 + UInt64(k), biasScale: 0.7)
        let b = GraphNetwork.randomPerceptron(widths: widths, seed: 20 + UInt64(k), biasScale: 0.7)
        let pa = try GraphPathLifting.enumeratePaths(a), pb = try GraphPathLifting.enumeratePaths(b)
        // One path per (input or bias, neuron of each later layer): Π widths plus a product per bias layer.
        let count = (0..<(widths.count - 1)).reduce(0) { $0 + widths[($1 + 1)...].reduce(1, *) } + widths.reduce(1, *)
        #expect(pa.count == count && pb.count == count)
        for q in [1.0, 2.0, 3.0] {
            let brute = pa.reduce(0) { $0 + pow(abs($1), q) }
            #expect(try relDiff(GraphPathLifting.pathNormPower(a, q: q), brute) < 1e-12)
        }
        let ip = zip(pa, pb).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(try relDiff(GraphPathLifting.innerProduct(a, b), ip) < 1e-12)
        let d2 = zip(pa, pb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        #expect(try relDiff(GraphPathLifting.squaredL2PathMetric(a, b), d2) < 1e-12)
        #expect(try relDiff(GraphPathLifting.l2PathMetricByPolarization(a, b), d2.squareRoot()) < 1e-10)
        // ℓ¹ bound against the exact ℓ¹ metric, for a sign-agreeing perturbation.
        let c = a.mapped { $0 * 1.1 }.combined(with: b) { x, y in x + 0.05 * abs(y) * (x >= 0 ? 1 : -1) }
        let pc = try GraphPathLifting.enumeratePaths(c)
        let l1 = zip(pa, pc).reduce(0) { $0 + abs($1.0 - $1.1) }
        let brute = try GraphPathLifting.enumeratePaths(a.combined(with: c) { max(abs($0), abs($1)) }).reduce(0, +)
            - GraphPathLifting.enumeratePaths(a.combined(with: c) { min(abs($0), abs($1)) }).reduce(0, +)
        #expect(relDiff(GraphPathLifting.l1BoundAsGiven(a, c), brute) < 1e-12)
        let bound = try #require(try GraphPathLifting.l1PathMetricBound(a, c))
        #expect(l1 <= bound * (1 + 1e-12))
        // Rescaling the second network leaves Φ and the bound (computed on normal forms) unchanged.
        let cs = try c.randomlyRescaled(choices: [1, 128, 4096], seed: 4).network
        let boundScaled = try #require(try GraphPathLifting.l1PathMetricBound(a, cs))
        #expect(l1 <= boundScaled * (1 + 1e-12))
        #expect(relDiff(boundScaled, bound) < 1e-10)
        #expect(try GraphPathLifting.l1PathMetricBound(a, b) == nil || GraphPathLifting.signsAgree(a, b))
    }

    @Test("the metric is accurate when the networks are close (no cancellation)")
    func cancellationFree() throws {
        let a = GraphNetwork.randomPerceptron(widths: [5, 8, 6, 3], seed: 5)
        let b = a.mapped { $0 * (1 + 1e-9) }
        let pa = try GraphPathLifting.enumeratePaths(a), pb = try GraphPathLifting.enumeratePaths(b)
        let d = zip(pa, pb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        #expect(try relDiff(GraphPathLifting.l2PathMetric(a, b), d) < 1e-6)
    }

    @Test("function, Φ-measures and both normal forms are invariant under rescaling", arguments: 0..<architectures.count)
    func rescalingInvariance(_ k: Int) throws {
        let widths = Self.architectures[k]
        let a = GraphNetwork.randomPerceptron(widths: widths, seed: 30 + UInt64(k), biasScale: 0.5)
        let b = GraphNetwork.randomPerceptron(widths: widths, seed: 40 + UInt64(k), biasScale: 0.5)
        let sa = try a.rescaled(by: randomNeuronFactors(a, seed: 7))
        let sb = try b.randomlyRescaled(choices: [1, 128, 4096], seed: 8).network
        for q in [1.0, 2.0] {
            #expect(try relDiff(GraphPathLifting.pathNorm(a, q: q), GraphPathLifting.pathNorm(sa, q: q)) < 1e-12)
        }
        #expect(try relDiff(GraphPathLifting.innerProduct(a, b), GraphPathLifting.innerProduct(sa, sb)) < 1e-12)
        #expect(try relDiff(GraphPathLifting.l2PathMetric(a, b), GraphPathLifting.l2PathMetric(sa, sb)) < 1e-12)
        var rng = SeededGenerator(seed: 9)
        let x = rng.gaussians(50 * widths[0])
        for (u, v) in zip(try a.forward(x, batch: 50), try sa.forward(x, batch: 50)) {
            #expect(abs(u - v) <= 1e-12 * (1 + abs(u)))
        }
        // Normal forms (the graph's max-|incoming| one and the dense solvers' ℓ² one): the same for both copies.
        let pairs = [(try a.normalForm().network, try sa.normalForm().network),
                     (try #require(DenseChain(a)).normalForm().network.graph,
                      try #require(DenseChain(sa)).normalForm().network.graph)]
        for (na, nsa) in pairs {
            for (u, v) in zip(na.nodes.flatMap { $0.weight + $0.bias }, nsa.nodes.flatMap { $0.weight + $0.bias }) {
                #expect(abs(u - v) <= 1e-12 * (1 + abs(u)))
            }
        }
    }

    @Test("rescaled(by:) takes one factor per hidden neuron, layer by layer; bad factors are errors")
    func neuronFactors() throws {
        let a = GraphNetwork.randomPerceptron(widths: [2, 3, 2, 1], seed: 1, biasScale: 0.5)
        let factors = randomNeuronFactors(a, seed: 2)
        #expect(try a.channelGroups.count == 5 && factors.count == 5)
        // By hand: row and bias of hidden neuron i times λ_i, column i of the next layer divided by it.
        var layers = try denseLayers(a)
        var offset = 0
        for l in 0..<2 {
            for i in 0..<layers[l].outputs {
                let f = factors[offset + i]
                layers[l].bias[i] *= f
                for k in 0..<layers[l].inputs { layers[l][i, k] *= f }
                for o in 0..<layers[l + 1].outputs { layers[l + 1][o, i] /= f }
            }
            offset += layers[l].outputs
        }
        let library = try denseLayers(a.rescaled(by: factors))
        for (x, y) in zip(layers, library) {
            for (u, v) in zip(x.weight + x.bias, y.weight + y.bias) { #expect(abs(u - v) <= 1e-15 * abs(u)) }
        }
        #expect(throws: GraphError.self) { try a.rescaled(by: [1, 2]) }
        #expect(throws: GraphError.self) { try a.rescaled(by: [1, -2, 1, 1, 1]) }
    }
}
