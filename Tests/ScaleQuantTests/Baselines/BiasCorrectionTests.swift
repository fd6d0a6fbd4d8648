import Testing
@testable import ScaleQuant

extension Baselines {
    /// ``BiasCorrection`` checked by plain forward passes of whole graphs: with a bias grid that does not round
    /// (binary64), every conv2d/linear node of the corrected graph has, per output channel, the mean output (over
    /// samples and positions) of the float network aligned to the quantized one; the last node, whose channels no
    /// rescaling touches, that of the float network itself.
    @Suite struct BiasCorrectionTests {
        /// Per affine node, per channel, the mean of its output over samples and positions (brute force).
        static func means(_ g: GraphNetwork, _ x: [Double], _ n: Int) throws -> [Int: [Double]] {
            let values = try g.allValues(x, batch: n)
            var out: [Int: [Double]] = [:]
            for (k, node) in g.nodes.enumerated() where node.operation.isAffine {
                let c = node.operation.affineOutputs, v = values[k + 1], spatial = v.count / (n * c)
                out[k] = (0..<c).map { ch in
                    var t = 0.0
                    for s in 0..<n { for p in 0..<spatial { t += v[(s * c + ch) * spatial + p] } }
                    return t / Double(n * spatial)
                }
            }
            return out
        }

        static func maxDiff(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } }
        static func scale(_ a: [Double]) -> Double { 1 + a.reduce(0) { max($0, abs($1)) } }

        static let spec = GraphGridSpec(weights: .fixed(FormatCatalog.preset(named: "e4m3")!),
                                        biases: .fixed(FormatCatalog.preset(named: "binary64")!))

        static func networks() throws -> [(String, GraphNetwork)] {
            [("mlp", GraphNetwork.randomPerceptron(widths: [5, 8, 6, 3], seed: 3, biasScale: 0.3)),
             ("cnn", try tinyCNN(seed: 4))]
        }

        @Test func rtnCorrectedMeansEqualFloatMeans() throws {
            for (name, g) in try Self.networks() {
                var rng = SeededGenerator(seed: 11)
                let n = 40, x = rng.gaussians(n * g.inputSize)
                let r = try GraphQuantizer.quantize(g, method: .rtn, grids: Self.spec)
                let c = try BiasCorrection.corrected(r.network, original: g, grids: r.grids, calibration: x, samples: n)
                let aligned = try GraphPathLifting.aligned(g, to: r.network)
                let mc = try Self.means(c, x, n), ma = try Self.means(aligned, x, n), mf = try Self.means(g, x, n)
                let mq = try Self.means(r.network, x, n)
                let last = mc.keys.max()!
                for k in mc.keys.sorted() {
                    #expect(c.nodes[k].weight == r.network.nodes[k].weight, "\(name) node \(k)")
                    #expect(Self.maxDiff(mc[k]!, ma[k]!) <= 1e-9 * Self.scale(ma[k]!), "\(name) node \(k)")
                }
                #expect(Self.maxDiff(mc[last]!, mf[last]!) <= 1e-9 * Self.scale(mf[last]!), "\(name)")
                // Rounding did shift the means (the correction had something to do).
                #expect(Self.maxDiff(mq[last]!, mf[last]!) > 1e-4 * Self.scale(mf[last]!), "\(name)")
            }
        }

        /// With a coarse bias grid each corrected bias is the grid's rounding of b + μ − μ̂, μ̂ recovered from the
        /// corrected graph's own means (μ̂ = mean − (b̂ − b): only node k's bias changed since it was measured).
        @Test func coarseBiasGridRoundsTheShiftedBias() throws {
            for (name, g) in try Self.networks() {
                var rng = SeededGenerator(seed: 12)
                let n = 32, x = rng.gaussians(n * g.inputSize)
                let spec = GraphGridSpec(weights: .fixed(FormatCatalog.preset(named: "e4m3")!), biases: .integerPerLayer(bits: 6))
                let r = try GraphQuantizer.quantize(g, method: .rtn, grids: spec)
                let c = try BiasCorrection.corrected(r.network, original: g, grids: r.grids, calibration: x, samples: n)
                let mc = try Self.means(c, x, n), ma = try Self.means(try GraphPathLifting.aligned(g, to: r.network), x, n)
                var changed = 0
                for k in mc.keys.sorted() {
                    let b = r.network.nodes[k].bias, bc = c.nodes[k].bias, grid = r.grids.bias(k)
                    for ch in b.indices {
                        let before = mc[k]![ch] - (bc[ch] - b[ch])
                        #expect(bc[ch] == grid.round(b[ch] + ma[k]![ch] - before), "\(name) node \(k) channel \(ch)")
                        if bc[ch] != b[ch] { changed += 1 }
                    }
                }
                #expect(changed > 0, "\(name)")
            }
        }

        @Test func cleBCMatchesTheAlignedFloatNetwork() throws {
            for (name, g) in try Self.networks() {
                var rng = SeededGenerator(seed: 13)
                let n = 40, x = rng.gaussians(n * g.inputSize)
                let cle = try GraphQuantizer.quantize(g, method: .cle, grids: Self.spec)
                let bc = try GraphQuantizer.quantize(g, method: "cle+bc", grids: Self.spec, calibration: (x, n), options: .init())
                let aligned = try GraphPathLifting.aligned(g, to: cle.network)
                let mb = try Self.means(bc.network, x, n), ma = try Self.means(aligned, x, n), mf = try Self.means(g, x, n)
                var rescaled = false
                for k in mb.keys.sorted() {
                    #expect(bc.network.nodes[k].weight == cle.network.nodes[k].weight, "\(name) node \(k)")
                    #expect(Self.maxDiff(mb[k]!, ma[k]!) <= 1e-9 * Self.scale(ma[k]!), "\(name) node \(k)")
                    if Self.maxDiff(ma[k]!, mf[k]!) > 1e-3 * Self.scale(mf[k]!) { rescaled = true }
                }
                // CLE rescaled some hidden channel, so the float network's own means would be the wrong target.
                #expect(rescaled, "\(name)")
            }
        }
    }
}
