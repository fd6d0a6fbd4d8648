import Testing
@testable import ScaleQuant

@Suite("Report: graph entries")
struct GraphReportTests {
    @Test("an MLP written as a graph gets the MLP entry's measures (shares, weight error, bound, output error)")
    func graphEntryMatchesMLPEntry() throws {
        let net = ReLUNetwork.random(widths: [5, 7, 6, 3], seed: 4)
        let q = try NetworkQuantizer.quantize(net, method: .coordinateDescent,
                                              grids: try NetworkGridSpec(format: "e3m2")).network
        var rng = SeededGenerator(seed: 5)
        let x = rng.gaussians(20 * 5)
        let labels = (0..<20).map { $0 % 3 }
        let data = EvaluationData(inputs: x, count: 20, labels: labels)
        let a = ReportEntry(method: "cd", format: "e3m2", original: net, quantized: q, data: data)
        let b = try ReportEntry(method: "cd", format: "e3m2", original: try GraphNetwork(net),
                                quantized: try GraphNetwork(q), data: data)
        #expect(relDiff(a.l2PathMetric, b.l2PathMetric) < 1e-12)
        #expect(a.layerShares.count == b.layerShares.count)
        for (u, v) in zip(a.layerShares, b.layerShares) { #expect(abs(u - v) < 1e-12) }
        #expect(abs(b.layerShares.reduce(0, +) - 1) < 1e-12)
        #expect(relDiff(a.weightRelativeError, b.weightRelativeError) < 1e-12)
        // Both bounds are valid but computed on different members of the orbit (the graph's on the normal forms, the
        // MLP's on the networks as given), so they agree only roughly.
        #expect(relDiff(a.certifiedBound ?? .nan, b.certifiedBound ?? .nan) < 0.05)
        #expect(relDiff(a.outputRelativeError!, b.outputRelativeError!) < 1e-12)
        #expect(a.accuracy == b.accuracy)
        #expect(b.network == nil && b.graph != nil)
    }

    @Test("run on the bundled ResNet: one entry per pair, node names as layers, the header says what the graph is")
    func runOnResNet() throws {
        let g = try GraphNetwork.load(spec: resource("models/digits_resnet.json"))
        let test = try digitsTestSplit()
        let data = EvaluationData(inputs: Array(test.x.prefix(64 * 40)), count: 40, labels: Array(test.y.prefix(40)))
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = 1
        let report = try QuantizationReport.run(graph: g, title: "resnet", methods: ["rtn", "cle"],
                                                formats: ["e4m3", "int8"], data: data, options: options)
        #expect(report.entries.map { "\($0.method) \($0.format)" } == ["rtn e4m3", "cle e4m3", "rtn int8", "cle int8"])
        #expect(report.layerNames == ["conv0", "conv1", "conv2", "fc"])
        #expect(report.header.contains("3 conv2d and 1 linear nodes") && report.header.contains("batch norm folded"))
        let folded = try g.foldingBatchNorm()
        let rtn = try GraphQuantizer.quantize(g, method: .rtn, grids: try GraphGridSpec(format: "e4m3"))
        #expect(report.entries[0].l2PathMetric == rtn.l2PathMetric)
        #expect(report.entries[0].accuracy == (try Evaluation.accuracy(rtn.network, inputs: data.inputs,
                                                                              samples: 40, labels: data.labels!)))
        #expect(report.floatAccuracy == (try Evaluation.accuracy(folded, inputs: data.inputs, samples: 40,
                                                                        labels: data.labels!)))
        #expect(report.html().contains("conv1"))
        #expect(throws: GraphError.self) {
            _ = try QuantizationReport.run(graph: g, title: "r", methods: ["l2r"], formats: ["e4m3"], data: nil)
        }
        #expect(throws: GraphError.self) {
            _ = try QuantizationReport.run(graph: g, title: "r", methods: ["data"], formats: ["e4m3"], data: nil)
        }
    }
}
