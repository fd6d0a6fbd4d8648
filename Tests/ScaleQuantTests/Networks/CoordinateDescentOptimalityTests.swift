import Testing
@testable import ScaleQuant

@Suite("Networks: coordinate descent optimality")
struct CoordinateDescentOptimalityTests {
    /// At convergence no single neuron's parameters (incoming row, bias, outgoing column) can be changed to
    /// lower the ℓ² path-metric: brute force over the grid for every hidden neuron of a perceptron graph, with Φ by
    /// path enumeration. This checks the derivation of the dense-chain solver's weighted rank-one subproblem.
    @Test("the fixed point of cd is coordinatewise optimal (brute force per neuron)", arguments: [0, 1, 2])
    func coordinatewiseOptimal(_ k: Int) throws {
        let widths: [[Int]] = [[2, 2, 2, 1], [2, 3, 2, 1], [1, 2, 2, 2, 1]]
        let grid = try IntegerGrid(bits: 3)
        let vals: [Double] = [-3, -2, -1, 0, 1, 2, 3]
        let net = GraphNetwork.randomPerceptron(widths: widths[k], seed: 300 + UInt64(k), biasScale: 0.8)
            .mapped { $0 * 2.5 }
        let r = try GraphQuantizer.quantize(net, method: .coordinateDescent, grids: .uniform(weight: grid))
        let phi = try GraphPathLifting.enumeratePaths(net)
        func metric(_ q: DenseChain) throws -> Double {
            zip(phi, try GraphPathLifting.enumeratePaths(q.graph)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
        let quantized = try #require(DenseChain(r.network))
        let base = try metric(quantized)
        #expect(relDiff(base, r.l2PathMetric * r.l2PathMetric) < 1e-9)
        for l in 0..<(quantized.layers.count - 1) {
            let n = quantized.layers[l].inputs, m = quantized.layers[l + 1].outputs
            for i in 0..<quantized.layers[l].outputs {
                let count = n + 1 + m
                var q = quantized
                var best = Double.infinity
                var idx = [Int](repeating: 0, count: count)
                while true {
                    for t in 0..<n { q.layers[l][i, t] = vals[idx[t]] }
                    q.layers[l].bias[i] = vals[idx[n]]
                    for o in 0..<m { q.layers[l + 1][o, i] = vals[idx[n + 1 + o]] }
                    best = min(best, try metric(q))
                    var t = 0
                    while t < count && idx[t] == vals.count - 1 { idx[t] = 0; t += 1 }
                    if t == count { break }
                    idx[t] += 1
                }
                #expect(base <= best * (1 + 1e-9) + 1e-12, "layer \(l) neuron \(i): \(base) > \(best)")
            }
        }
    }
}
