import Testing
@testable import ScaleQuant

@Suite("Report: graph entries")
struct GraphReportTests {
    @Test("a perceptron's entry: every measure equals its definition (metric, shares, weight error, bound, outputs)")
    func perceptronEntry() throws {
        let net = GraphNetwork.randomPerceptron(widths: [5, 7, 6, 3], seed: 4)
        let r = try GraphQuantizer.quantize(net, method: .coordinateDescent, grids: try GraphGridSpec(format: "e3m2"))
        let q = r.network
        var rng = SeededGenerator(seed: 5)
        let n = 20, x = (0..<(n * 5)).map { _ in 2 * rng.nextUnit() - 1 }  // inside the certified bound's box (r = 1)
        let labels = (0..<n).map { $0 % 3 }
        let e = try ReportEntry(method: "cd", format: "e3m2", original: net, quantized: q,
                                data: EvaluationData(inputs: x, count: n, labels: labels), sweeps: r.sweeps)
        // ℓ² path-metric by enumeration.
        let d2 = zip(try GraphPathLifting.enumeratePaths(net), try GraphPathLifting.enumeratePaths(q))
            .reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        #expect(relDiff(e.l2PathMetric, d2.squareRoot()) < 1e-10)
        #expect(relDiff(e.relativeL2PathMetric, e.l2PathMetric / (try GraphPathLifting.pathNorm(net, q: 2))) < 1e-12)
        #expect(e.layerShares.count == 3 && abs(e.layerShares.reduce(0, +) - 1) < 1e-12)
        // Weight error by hand over the layers.
        let a = try denseLayers(net).flatMap { $0.weight + $0.bias }, b = try denseLayers(q).flatMap { $0.weight + $0.bias }
        let weightError = (zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / a.reduce(0) { $0 + $1 * $1 })
            .squareRoot()
        #expect(relDiff(e.weightRelativeError, weightError) < 1e-12)
        // Outputs by hand: mean relative ℓ² row error, and the certified bound holds on every row.
        let ya = try net.forward(x, batch: n), yb = try q.forward(x, batch: n)
        let bound = try #require(e.certifiedBound)
        var relative = 0.0, correct = 0
        for s in 0..<n {
            let ra = Array(ya[(3 * s)..<(3 * s + 3)]), rb = Array(yb[(3 * s)..<(3 * s + 3)])
            let diff = zip(ra, rb).map { $0 - $1 }
            relative += diff.reduce(0) { $0 + $1 * $1 }.squareRoot() / ra.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(diff.reduce(0) { $0 + abs($1) } <= bound)
            if rb.indices.max(by: { rb[$0] < rb[$1] }) == labels[s] { correct += 1 }
        }
        #expect(relDiff(try #require(e.outputRelativeError), relative / Double(n)) < 1e-12)
        #expect(e.accuracy == Double(correct) / Double(n))
        #expect(e.network == q && e.sweeps == r.sweeps)
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
        #expect(report.layerNames == ["conv0", "conv1", "conv2", "fc"] && report.widths.isEmpty)
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
