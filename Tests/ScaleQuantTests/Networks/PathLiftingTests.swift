#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import ScaleQuant

@Suite("Networks: model and path-lifting")
struct PathLiftingTests {
    static let architectures: [[Int]] = [[3, 4, 3, 2], [2, 3, 1], [4, 2, 3, 2, 2], [3, 5, 2]]

    @Test("forward pass equals a plain reference, batched and threaded")
    func forward() {
        let net = ReLUNetwork.random(widths: [7, 33, 17, 5], seed: 3, biasScale: 0.5)
        var rng = SeededGenerator(seed: 4)
        for batch in [1, 3, 4, 9, 2000] {
            let x = rng.gaussians(batch * 7)
            let y = net.forward(x, batch: batch)
            for r in Swift.stride(from: 0, to: batch, by: max(1, batch / 7)) {
                let ref = referenceForward(net, Array(x[(r * 7)..<((r + 1) * 7)]))
                for o in 0..<5 { #expect(abs(y[r * 5 + o] - ref[o]) <= 1e-12 * (1 + abs(ref[o]))) }
            }
        }
    }

    @Test("path-norms and ⟨Φ, Φ'⟩ equal brute-force enumeration", arguments: 0..<architectures.count)
    func pathNormsMatchEnumeration(_ k: Int) throws {
        let widths = Self.architectures[k]
        let a = ReLUNetwork.random(widths: widths, seed: 10 + UInt64(k), biasScale: 0.7)
        let b = ReLUNetwork.random(widths: widths, seed: 20 + UInt64(k), biasScale: 0.7)
        let pa = PathLifting.enumeratePaths(a), pb = PathLifting.enumeratePaths(b)
        #expect(pa.count == pb.count)
        for q in [1.0, 2.0, 3.0] {
            let brute = pa.reduce(0) { $0 + pow(abs($1), q) }
            #expect(relDiff(PathLifting.pathNormPower(a, q: q), brute) < 1e-12)
        }
        let ip = zip(pa, pb).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(relDiff(PathLifting.innerProduct(a, b), ip) < 1e-12)
        let d2 = zip(pa, pb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        #expect(relDiff(PathLifting.squaredL2PathMetric(a, b), d2) < 1e-12)
        #expect(relDiff(PathLifting.l2PathMetricByPolarization(a, b), d2.squareRoot()) < 1e-10)
        // ℓ¹ bound against the exact ℓ¹ metric, for a sign-agreeing perturbation.
        let c = a.mapped { $0 * 1.1 }.combined(with: b) { x, y in x + 0.05 * abs(y) * (x >= 0 ? 1 : -1) }
        let pc = PathLifting.enumeratePaths(c)
        let l1 = zip(pa, pc).reduce(0) { $0 + abs($1.0 - $1.1) }
        let bound = PathLifting.l1PathMetricBound(a, c)!
        let brute = PathLifting.pathNormPower(a.combined(with: c) { max(abs($0), abs($1)) }, q: 1)
            - PathLifting.pathNormPower(a.combined(with: c) { min(abs($0), abs($1)) }, q: 1)
        #expect(relDiff(PathLifting.l1BoundAsGiven(a, c), brute) < 1e-12)
        #expect(bound <= brute * (1 + 1e-12))
        #expect(l1 <= bound * (1 + 1e-12))
        // Rescaling the second network leaves Φ and, thanks to the alignment, the bound (nearly) unchanged.
        let cs = c.randomlyRescaled(choices: [1, 128, 4096], seed: 4).network
        let boundScaled = try #require(PathLifting.l1PathMetricBound(a, cs))
        #expect(l1 <= boundScaled * (1 + 1e-12))
        #expect(boundScaled <= 1.5 * bound)
        #expect(PathLifting.l1PathMetricBound(a, b) == nil || PathLifting.signsAgree(a, b))
    }

    @Test("the metric is accurate when the networks are close (no cancellation)")
    func cancellationFree() {
        let a = ReLUNetwork.random(widths: [5, 8, 6, 3], seed: 5)
        let b = a.mapped { $0 * (1 + 1e-9) }
        let pa = PathLifting.enumeratePaths(a), pb = PathLifting.enumeratePaths(b)
        let d = zip(pa, pb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        #expect(relDiff(PathLifting.l2PathMetric(a, b), d) < 1e-6)
    }

    @Test("function and Φ-measures are invariant under rescaling", arguments: 0..<architectures.count)
    func rescalingInvariance(_ k: Int) throws {
        let widths = Self.architectures[k]
        let a = ReLUNetwork.random(widths: widths, seed: 30 + UInt64(k), biasScale: 0.5)
        let b = ReLUNetwork.random(widths: widths, seed: 40 + UInt64(k), biasScale: 0.5)
        let sa = try a.applyingScalings(randomScalings(a, seed: 7))
        let (sb, _) = b.randomlyRescaled(choices: [1, 128, 4096], seed: 8)
        for q in [1.0, 2.0] {
            #expect(relDiff(PathLifting.pathNorm(a, q: q), PathLifting.pathNorm(sa, q: q)) < 1e-12)
        }
        #expect(relDiff(PathLifting.innerProduct(a, b), PathLifting.innerProduct(sa, sb)) < 1e-12)
        #expect(relDiff(PathLifting.l2PathMetric(a, b), PathLifting.l2PathMetric(sa, sb)) < 1e-12)
        var rng = SeededGenerator(seed: 9)
        let x = rng.gaussians(50 * widths[0])
        let ya = a.forward(x, batch: 50), ysa = sa.forward(x, batch: 50)
        for (u, v) in zip(ya, ysa) { #expect(abs(u - v) <= 1e-12 * (1 + abs(u))) }
        // Normal form: the same for a network and its rescaled copy.
        let na = a.normalForm().network, nsa = sa.normalForm().network
        for (la, lb) in zip(na.layers, nsa.layers) {
            for (u, v) in zip(la.weight, lb.weight) { #expect(abs(u - v) <= 1e-12 * (1 + abs(u))) }
        }
    }

    @Test("scalings are validated")
    func badScalings() {
        let a = ReLUNetwork.random(widths: [2, 3, 1], seed: 1)
        #expect(throws: NetworkError.self) { try a.applyingScalings(NeuronScalings(factors: [[1, 2]])) }
        #expect(throws: NetworkError.self) { try a.applyingScalings(NeuronScalings(factors: [[1, -2, 1]])) }
    }
}
