import Foundation
import Testing
@testable import ScaleQuant

@Suite("Graphs: coordinate-descent path quantities and the enumerator")
struct GraphPathQuantitiesTests {
    @Test("F, N̂, G, M̂ of every element equal the enumerated in- and out-path sums",
          arguments: ["tinyCNN", "tinyResNet", "random"])
    func matchEnumeration(_ which: String) throws {
        let theta: GraphNetwork
        switch which {
        case "tinyCNN": theta = try tinyCNN(seed: 31)
        case "tinyResNet": theta = try tinyResNet(seed: 32)
        default: theta = try smallRandomGraph()
        }
        var rng = SeededGenerator(seed: 7)
        let hat = theta.mapped { ($0 * 4).rounded() / 4 + 0.01 * rng.nextGaussian() }
        let q = try GraphPathLifting.quantities(theta, hat)
        let inA = try GraphPathEnumerator.inPaths(theta), inB = try GraphPathEnumerator.inPaths(hat)
        let outA = try GraphPathEnumerator.outPaths(theta), outB = try GraphPathEnumerator.outPaths(hat)
        for v in 0..<theta.valueCount {
            #expect(q.forwardInner[v].count == theta.valueSize(v))
            for e in 0..<theta.valueSize(v) {
                let (p, ph) = (inA[v][e], inB[v][e])
                #expect(p.map(\.start) == ph.map(\.start))
                let f = zip(p, ph).reduce(0) { $0 + $1.0.value * $1.1.value }
                let n = ph.reduce(0) { $0 + $1.value * $1.value }
                #expect(abs(q.forwardInner[v][e] - f) <= 1e-12 * max(1, abs(f)), "\(which) F[\(v)][\(e)]")
                #expect(abs(q.forwardNormSquared[v][e] - n) <= 1e-12 * max(1, n), "\(which) N[\(v)][\(e)]")
                let g = zip(outA[v][e], outB[v][e]).reduce(0) { $0 + $1.0 * $1.1 }
                let m = outB[v][e].reduce(0) { $0 + $1 * $1 }
                #expect(abs(q.backwardInner[v][e] - g) <= 1e-12 * max(1, abs(g)), "\(which) G[\(v)][\(e)]")
                #expect(abs(q.backwardNormSquared[v][e] - m) <= 1e-12 * max(1, m), "\(which) M[\(v)][\(e)]")
            }
        }
        // Inputs and outputs carry the trivial paths.
        #expect(q.forwardInner[0].allSatisfy { $0 == 1 } && q.forwardNormSquared[0].allSatisfy { $0 == 1 })
        #expect(q.backwardInner[theta.valueCount - 1].allSatisfy { $0 == 1 })
        // The separate passes agree with the combined one.
        let fwd = try GraphPathLifting.forwardQuantities(theta, hat)
        let bwd = try GraphPathLifting.backwardQuantities(theta, hat)
        #expect(fwd.inner == q.forwardInner && fwd.normSquared == q.forwardNormSquared)
        #expect(bwd.inner == q.backwardInner && bwd.normSquared == q.backwardNormSquared)
    }

    @Test("across the cut before the last linear layer, Σ F·G plus its bias terms is ⟨Φ, Φ̂⟩")
    func cutIdentity() throws {
        for theta in [try tinyCNN(seed: 41), try tinyResNet(seed: 42)] {
            let hat = perturbedSameSign(theta, seed: 2, epsilon: 0.3)
            let q = try GraphPathLifting.quantities(theta, hat)
            let last = theta.nodes.count - 1, cut = theta.sourceValues[last][0]
            var s = zip(q.forwardInner[cut], q.backwardInner[cut]).reduce(0) { $0 + $1.0 * $1.1 }
            s += zip(theta.nodes[last].bias, hat.nodes[last].bias).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(try relDiff(s, GraphPathLifting.innerProduct(theta, hat)) < 1e-12)
            var n = zip(q.forwardNormSquared[cut], q.backwardNormSquared[cut]).reduce(0) { $0 + $1.0 * $1.1 }
            n += hat.nodes[last].bias.reduce(0) { $0 + $1 * $1 }
            #expect(try relDiff(n, GraphPathLifting.pathNormPower(hat, q: 2)) < 1e-12)
        }
    }

    @Test("the enumerator's paths reproduce the forward pass on a graph where ReLUs are inactive")
    func enumeratorMatchesForward() throws {
        // Non-negative parameters and inputs, no max-pool: every ReLU is the identity, so R(x) = Σ_paths value·x_start.
        for g in [try tinyResNet(seed: 51).mapped(abs), try tinyCNN(seed: 52, maxPool: false).mapped(abs)] {
            let x = uniformSamples(g.inputSize, radius: 1, seed: 3).map(abs)
            let y = try g(x)
            let paths = try GraphPathEnumerator.inPaths(g)[g.valueCount - 1]
            for (o, list) in paths.enumerated() {
                let r = list.reduce(0.0) { acc, p in
                    if case .input(let i) = p.start { return acc + p.value * x[i] }
                    return acc + p.value
                }
                #expect(relDiff(r, y[o]) < 1e-12)
            }
        }
    }
}
