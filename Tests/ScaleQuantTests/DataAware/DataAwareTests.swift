import Foundation
import Testing
@testable import ScaleQuant

/// Data-aware quantization of perceptrons: the dense-chain neuron search (``DenseChainDataAware``) against a dense
/// scan of λ, and ``GraphDataAwareQuantizer`` on perceptron graphs against cd and RTN on the calibration error.
@Suite struct DataAwareTests {
    /// Brute force: the objective at `samples` geometrically spaced λ in [lo, hi) (the range spans many binades).
    func bruteForce(x: [Double], n: Int, count: Int, y: [Double], r: [Double], m: Int, w: any NumberGrid,
                    b: any NumberGrid, out: any NumberGrid, lo: Double, hi: Double, samples: Int) -> Double {
        var rNorm2 = [Double](repeating: 0, count: m)
        for s in 0..<count { for k in 0..<m { rNorm2[k] += r[s * m + k] * r[s * m + k] } }
        var best = Double.infinity
        for t in 0..<samples {
            let lambda = lo * Foundation.exp(Foundation.log(hi / lo) * Double(t) / Double(samples))
            let q = (0...n).map { i in (i < n ? w : b).round(lambda * y[i]) }
            let z = (0..<count).map { s in q[n] + (0..<n).reduce(0) { $0 + q[$1] * x[s * n + $1] } }
            best = min(best, DenseChainDataAware.evaluate(z: z, r: r, rNorm2: rNorm2, m: m, grid: out).error)
        }
        return best
    }

    @Test(arguments: ["e2m1", "int3@0.25", "e3m2"])
    func neuronStepMatchesDenseScan(format: String) throws {
        let grid = try FormatCatalog.grid(named: format)
        for seed in 1...6 as ClosedRange<UInt64> {
            var rng = SeededGenerator(seed: seed)
            let n = 3, count = 40, m = 2
            let x = rng.gaussians(count * n), y = rng.gaussians(n + 1), r = rng.gaussians(count * m)
            let range = try #require(DenseChainDataAware.lambdaRange(y, grids: [grid]))
            let step = try #require(DenseChainDataAware.bestNeuronStep(
                inputs: x, count: count, y: y, residual: r, outputs: m, weightGrid: grid, biasGrid: grid,
                outgoingGrid: grid))
            let brute = bruteForce(x: x, n: n, count: count, y: y, r: r, m: m, w: grid, b: grid, out: grid,
                                   lo: range.lo, hi: range.hi, samples: 20000)
            #expect(step.error <= brute + 1e-9 * max(1, abs(brute)), "seed \(seed): \(step.error) vs \(brute)")
            #expect(abs(step.error - brute) <= 1e-9 * max(1, abs(brute)), "seed \(seed): \(step.error) vs \(brute)")
        }
    }

    @Test func neuronStepWithManyEventsUsesBothChunksCorrectly() throws {
        // Enough boundaries for the two-chunk split; compare with a one-chunk reference evaluation.
        let grid = try FormatCatalog.grid(named: "e4m3")
        var rng = SeededGenerator(seed: 9)
        let n = 12, count = 30, m = 3
        let x = rng.gaussians(count * n), y = rng.gaussians(n + 1), r = rng.gaussians(count * m)
        let range = try #require(DenseChainDataAware.lambdaRange(y, grids: [grid]))
        let step = try #require(DenseChainDataAware.bestNeuronStep(
            inputs: x, count: count, y: y, residual: r, outputs: m, weightGrid: grid, biasGrid: grid, outgoingGrid: grid))
        let brute = bruteForce(x: x, n: n, count: count, y: y, r: r, m: m, w: grid, b: grid, out: grid,
                               lo: range.lo, hi: range.hi, samples: 40000)
        #expect(step.error <= brute + 1e-9 * max(1, abs(brute)))
    }

    func sse(_ a: GraphNetwork, _ b: GraphNetwork, _ x: [Double], _ count: Int) throws -> Double {
        zip(try a.forward(x, batch: count), try b.forward(x, batch: count)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    @Test(arguments: [[5, 8, 3], [4, 6, 5, 2]])
    func dataErrorNotWorseThanCdAndRtn(widths: [Int]) throws {
        for seed in 1...3 as ClosedRange<UInt64> {
            let net = GraphNetwork.randomPerceptron(widths: widths, seed: seed)
            var rng = SeededGenerator(seed: seed + 100)
            let count = 64
            let x = rng.gaussians(count * widths[0])
            for format in ["e2m1", "e4m3", "int4"] {
                let spec = try GraphGridSpec(format: format)
                let data = try GraphDataAwareQuantizer.quantize(net, grids: spec, calibration: x, count: count)
                let cd = try GraphQuantizer.quantize(net, method: .coordinateDescent, grids: spec)
                let rtn = try GraphQuantizer.quantize(net, method: .rtn, grids: spec)
                let e = try sse(net, data.quantization.network, x, count)
                let label = "\(widths) \(format) seed \(seed)"
                #expect(e <= (try sse(net, cd.network, x, count)) * (1 + 1e-12), "\(label)")
                #expect(e <= (try sse(net, rtn.network, x, count)) * (1 + 1e-12), "\(label)")
                let gptq = try GraphQuantizer.quantize(net, method: "gptq", grids: spec, calibration: (x, count),
                                                       options: .init())
                #expect(e <= (try sse(net, gptq.network, x, count)) * (1 + 1e-12), "\(label)")
                // It reports its candidate and the candidate's and the refined result's errors.
                #expect(["cd", "rtn", "gptq", "gptq-cle", "gptq-data"].contains(data.start), "\(label)")
                #expect(data.calibrationErrors.count >= 2, "\(label)")
                #expect(relDiff(data.calibrationErrors.last ?? .nan, e) < 1e-9, "\(label)")
                #expect(zip(data.calibrationErrors.dropFirst(), data.calibrationErrors).allSatisfy { $0 <= $1 * (1 + 1e-12) },
                        "\(label)")
            }
        }
    }

    @Test func dataNeedsCalibration() throws {
        let net = GraphNetwork.randomPerceptron(widths: [3, 4, 2], seed: 1)
        #expect(throws: GraphError.self) {
            try GraphQuantizer.quantize(net, method: "data", grids: try GraphGridSpec(format: "e4m3"),
                                            calibration: nil, options: .init())
        }
        #expect(throws: GraphError.self) {
            try GraphDataAwareQuantizer.quantize(net, grids: try GraphGridSpec(format: "e4m3"),
                                                 calibration: [1, 2], count: 1)
        }
    }
}
