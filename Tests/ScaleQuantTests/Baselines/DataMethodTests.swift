import Testing
@testable import ScaleQuant

extension Baselines {
    /// Method `data` by name with the GPTQ candidates in play (N = 256 rows for a 6-12-4 perceptron): its answer is on
    /// its grids, it names one of its candidates, its calibration errors do not increase, and the last one is the
    /// answer's squared error on the calibration data.
    @Suite struct DataMethodTests {
        @Test(arguments: ["int4", "e2m1", "int4/ch"])
        func dataWithGPTQCandidates(format: String) throws {
            let g = GraphNetwork.randomPerceptron(widths: [6, 12, 4], seed: 8)
            var rng = SeededGenerator(seed: 9)
            let n = 256, x = rng.gaussians(n * 6)
            #expect(GraphDataAwareQuantizer.gptqIsDetermined(g, samples: n))
            let r = try GraphQuantizer.quantize(g, method: "data", grids: try GraphGridSpec(format: format),
                                                calibration: (x, n), options: .init())
            #expect(r.calibrated == .data)
            for (k, node) in r.network.nodes.enumerated() where node.operation.isAffine {
                #expect(r.grids.roundWeights(k, node.weight) == node.weight, "\(format) node \(k)")
                #expect(r.grids.bias(k).round(node.bias) == node.bias, "\(format) node \(k)")
                #expect(r.grids.channelWeights[k] != nil || !format.hasSuffix("/ch"), "\(format) node \(k)")
            }
            let names = format.hasSuffix("/ch") ? ["gptq", "gptq-cle", "gptq-data"]
                : ["cd", "rtn", "gptq", "gptq-cle", "gptq-data"]
            #expect(names.contains(r.calibrationStart ?? "none"), "\(format): \(String(describing: r.calibrationStart))")
            let errors = r.calibrationErrors
            #expect(!errors.isEmpty)
            #expect(zip(errors.dropFirst(), errors).allSatisfy { $0 <= $1 * (1 + 1e-12) }, "\(format): \(errors)")
            let y = try r.network.forward(x, batch: n), t = try g.forward(x, batch: n)
            let sse = zip(y, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            #expect(abs(sse - (errors.last ?? .nan)) <= 1e-9 * sse, "\(format): \(sse) vs \(errors)")
        }
    }
}
