import Testing
@testable import ScaleQuant

extension Baselines {
    /// Per-channel grids (`NAME/ch`, `rtn-channel`) and the storage they cost (``Evaluation/bitsPerWeight(format:method:graph:)``).
    @Suite struct PerChannelGridTests {
        static func networks() throws -> [(String, GraphNetwork)] {
            [("mlp", GraphNetwork.randomPerceptron(widths: [4, 6, 3], seed: 2)), ("cnn", try tinyCNN(seed: 5))]
        }

        static func rows(_ node: GraphNode) -> [[Double]] {
            let c = node.operation.affineOutputs, w = node.weight.count / c
            return (0..<c).map { Array(node.weight[($0 * w)..<(($0 + 1) * w)]) }
        }

        static func amax(_ v: [Double]) -> Double { v.reduce(0) { max($0, abs($1)) } }

        @Test func int4PerChannelStepsAreFloat32AndCoverTheRow() throws {
            for (name, g) in try Self.networks() {
                let grids = try GraphGridSpec(format: "int4/ch").resolve(for: g)
                #expect(grids.isPerChannel)
                for (k, node) in g.nodes.enumerated() where node.operation.isAffine {
                    let channels = try #require(grids.channelWeights[k])
                    #expect(channels.count == node.operation.affineOutputs, "\(name) node \(k)")
                    for (r, row) in zip(channels, Self.rows(node)) {
                        let grid = try #require(r as? IntegerGrid)
                        let m = Self.amax(row)
                        #expect(grid.maxCode == 7 && Double(Float(grid.step)) == grid.step)
                        #expect(grid.step * 7 >= m && Double(Float(grid.step).nextDown) * 7 < m, "\(name) node \(k)")
                    }
                }
            }
        }

        @Test(arguments: ["int4", "e4m3"])
        func rtnChannelRoundsEachRowToItsOwnGrid(format: String) throws {
            for (name, g) in try Self.networks() {
                let r = try GraphQuantizer.quantize(g, method: "rtn-channel", grids: try GraphGridSpec(format: format),
                                                    calibration: nil, options: .init())
                let viaSuffix = try GraphQuantizer.quantize(g, method: "rtn", grids: try GraphGridSpec(format: format + "/ch"),
                                                            calibration: nil, options: .init())
                let base = try FormatCatalog.grid(named: format)
                for (k, node) in g.nodes.enumerated() where node.operation.isAffine {
                    var expected: [Double] = []
                    for row in Self.rows(node) {
                        let m = Self.amax(row)
                        let grid: any NumberGrid
                        if format == "int4" {
                            var s = Float(m / 7)
                            while Double(s) * 7 < m { s = s.nextUp }
                            grid = try IntegerGrid(bits: 4, step: Double(s))
                        } else {
                            grid = try ScaledGrid(base: base, scale: ScaledGrid.absmaxScale(m, base: base))
                        }
                        expected += row.map { grid.round($0) }
                    }
                    #expect(r.network.nodes[k].weight == expected, "\(name) \(format) node \(k)")
                    #expect(viaSuffix.network.nodes[k].weight == expected, "\(name) \(format)/ch node \(k)")
                    // Biases keep a per-layer grid: rtn-channel the given one, NAME/ch its per-tensor version.
                    let bm = Self.amax(node.bias)
                    let b1: any NumberGrid = format == "int4" ? try IntegerGrid(bits: 4, step: bm / 7) : base
                    let b2: any NumberGrid = format == "int4" ? b1
                        : try ScaledGrid(base: base, scale: ScaledGrid.absmaxScale(bm, base: base))
                    #expect(r.network.nodes[k].bias == node.bias.map { b1.round($0) }, "\(name) \(format) node \(k)")
                    #expect(viaSuffix.network.nodes[k].bias == node.bias.map { b2.round($0) }, "\(name) \(format)/ch node \(k)")
                }
            }
        }

        @Test func perChannelSpecsAreRefusedWhereUnsupported() throws {
            let g = GraphNetwork.randomPerceptron(widths: [4, 6, 3], seed: 2), cnn = try tinyCNN(seed: 5)
            for (net, method) in [(g, "cd"), (g, "exact"), (cnn, "cd"), (g, "l2r")] {
                let e = #expect(throws: GraphError.self) {
                    try GraphQuantizer.quantize(net, method: method, grids: try GraphGridSpec(format: "int4/ch"),
                                                calibration: nil, options: .init())
                }
                if case .unsupported? = e {} else { Issue.record("\(method): \(String(describing: e))") }
            }
            let unknown = #expect(throws: FormatError.self) { try GridChoice(format: "e4m3/xyz") }
            if case .unknownName? = unknown {} else { Issue.record("e4m3/xyz: \(String(describing: unknown))") }
            for bad in ["int8@0.5/ch", "p=4/tensor", "int8@0.5/tensor"] {
                let e = #expect(throws: FormatError.self) { try GridChoice(format: bad) }
                if case .invalid? = e {} else { Issue.record("\(bad): \(String(describing: e))") }
            }
            #expect(try GridChoice(format: "E4M3/CH").isPerChannel)
            #expect(try GridChoice(format: "int4/ch").perTensor.isPerChannel == false)
            #expect(throws: GraphError.self) {
                try GraphQuantizer.quantize(g, method: "rtn-channel", grids: try GraphGridSpec(format: "int8@0.5"),
                                            calibration: nil, options: .init())
            }
        }

        @Test func bitsPerWeightCountTheScales() throws {
            let g = GraphNetwork.randomPerceptron(widths: [4, 6, 3], seed: 1)  // 42 weights, 2 layers, 9 channels
            let cases: [(String, String, Double)] = [
                ("int4", "rtn", 4 + 32 * 2 / 42.0), ("int4/ch", "rtn", 4 + 32 * 9 / 42.0), ("e4m3", "cd", 8),
                ("e4m3/tensor", "rtn", 8 + 64 / 42.0), ("int4", "rtn-channel", 4 + 32 * 9 / 42.0),
                ("e4m3", "rtn-channel", 8 + 32 * 9 / 42.0), ("e4m3/ch", "gptq", 8 + 32 * 9 / 42.0),
                ("int8@0.5", "rtn", 8), ("int4/tensor", "data", 4 + 64 / 42.0), ("e2m1", "rtn", 4),
            ]
            for (format, method, bits) in cases {
                let b = try #require(Evaluation.bitsPerWeight(format: format, method: method, graph: g))
                #expect(abs(b - bits) <= 1e-12, "\(format) \(method): \(b), expected \(bits)")
            }
            #expect(Evaluation.bitsPerWeight(format: "nope", method: "rtn", graph: g) == nil)
        }
    }
}
