import Foundation
import Testing
@testable import ScaleQuant

/// The windowed neuron search of large perceptron layers (``DenseChainDataAware/bestWindowedNeuronStep``) against
/// a dense scan of its window, and `data` with every layer windowed against its start and under rescaling.
@Suite struct WindowedDataAwareTests {
    /// E(λ) = ‖R − ReLU(X·Q(λy)_w + Q(λy)_b) Q(x/λ)ᵀ‖², computed directly.
    static func familyError(_ lambda: Double, x: [Double], n: Int, count: Int, y: [Double], out: [Double],
                            r: [Double], m: Int, grid: any NumberGrid) -> Double {
        let q = y.map { grid.round(lambda * $0) }, o = out.map { grid.round($0 / lambda) }
        var err = 0.0
        for s in 0..<count {
            var z = q[n]
            for i in 0..<n { z += q[i] * x[s * n + i] }
            let h = max(z, 0)
            for k in 0..<m { err += (r[s * m + k] - o[k] * h) * (r[s * m + k] - o[k] * h) }
        }
        return err
    }

    @Test("the windowed search finds the minimum of the family error over its window (dense scan), with one and two chunks",
          arguments: ["e2m1", "e4m3", "int4"])
    func matchesDenseScan(format: String) throws {
        let grid = try FormatCatalog.grid(named: format)
        for (seed, n, m) in [(1, 3, 2), (2, 5, 3), (3, 40, 12), (4, 60, 30)] as [(UInt64, Int, Int)] {
            var rng = SeededGenerator(seed: seed)
            let count = 24
            let x = rng.gaussians(count * n), y = rng.gaussians(n + 1), out = rng.gaussians(m)
            let r = rng.gaussians(count * m)
            let columns = DenseChainDataAware.transposed(x, rows: count, columns: n)
                + [Double](repeating: 1, count: count)
            let step = try #require(DenseChainDataAware.bestWindowedNeuronStep(
                inputs: x, columns: columns, count: count, y: y, x: out, residual: r, outputs: m, weightGrid: grid,
                biasGrid: grid, outgoingGrid: grid, windowBinades: 1, candidates: 4))
            var brute = Double.infinity
            let samples = 30_000
            for t in 0...samples {
                let lambda = Foundation.exp2(-1 + 2 * Double(t) / Double(samples))
                brute = min(brute, Self.familyError(lambda, x: x, n: n, count: count, y: y, out: out, r: r, m: m,
                                                    grid: grid))
            }
            let label = "\(format) seed \(seed) (n \(n), m \(m))"
            // Its answer is a member of the family, and the best one of the window (the scan can only miss pieces).
            #expect(step.lambda >= 0.5 && step.lambda <= 2, "\(label): λ \(step.lambda)")
            #expect(step.incoming == y.map { grid.round(step.lambda * $0) }, "\(label)")
            #expect(step.outgoing == out.map { grid.round($0 / step.lambda) }, "\(label)")
            let direct = Self.familyError(step.lambda, x: x, n: n, count: count, y: y, out: out, r: r, m: m, grid: grid)
            #expect(abs(step.error - direct) <= 1e-12 * max(direct, 1), "\(label): \(step.error) vs \(direct)")
            #expect(step.error <= brute * (1 + 1e-12) + 1e-12, "\(label): \(step.error) vs scan \(brute)")
        }
    }

    @Test("data with every perceptron layer windowed: never worse than its start on the calibration data, on its grids, and the same answer for a rescaled input")
    func windowedData() throws {
        for (seed, widths) in [(11, [6, 10, 7, 3]), (12, [5, 12, 4])] as [(UInt64, [Int])] {
            let net = GraphNetwork.randomPerceptron(widths: widths, seed: seed)
            var rng = SeededGenerator(seed: seed + 50)
            let count = 32
            let x = rng.gaussians(count * widths[0])
            for format in ["e4m3", "int4"] {
                let spec = try GraphGridSpec(format: format)
                var options = GraphDataAwareOptions()
                options.perceptronSearchMaxWork = 0
                let data = try GraphDataAwareQuantizer.rescalingSearch(net, grids: spec, calibration: x, count: count,
                                                                       options: options)
                let label = "\(widths) \(format)"
                let errors = data.calibrationErrors
                #expect(errors.count == 2 && errors[1] <= errors[0] * (1 + 1e-12), "\(label): \(errors)")
                let q = data.quantization.network
                for n in q.nodes.indices where q.nodes[n].operation.isAffine {
                    #expect(q.nodes[n].weight.allSatisfy { data.quantization.grids.weight(n).round($0) == $0 }, "\(label)")
                }
                // A neuron of the first hidden layer scaled by 8 (exact in binary) and its outgoing column by 1/8.
                var scaled = net
                let first = scaled.nodes.indices.first { scaled.nodes[$0].operation.isAffine }!
                let second = scaled.nodes.indices.filter { scaled.nodes[$0].operation.isAffine }[1]
                let inputs = widths[0], hidden = widths[1]
                for k in 0..<inputs { scaled.nodes[first].weight[2 * inputs + k] *= 8 }
                scaled.nodes[first].bias[2] *= 8
                for o in 0..<widths[2] { scaled.nodes[second].weight[o * hidden + 2] /= 8 }
                let again = try GraphDataAwareQuantizer.rescalingSearch(scaled, grids: spec, calibration: x,
                                                                        count: count, options: options)
                let a = try q.forward(x, batch: count), b = try again.quantization.network.forward(x, batch: count)
                #expect(a == b, "\(label): the answer depends on the input's scaling")
            }
        }
    }
}
