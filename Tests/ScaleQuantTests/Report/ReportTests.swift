import Testing
@testable import ScaleQuant

@Suite struct ReportTests {
    @Test func bitsPerWeight() {
        #expect(Evaluation.bitsPerWeight(format: "e4m3") == 8)
        #expect(Evaluation.bitsPerWeight(format: "e3m2") == 6)
        #expect(Evaluation.bitsPerWeight(format: "e2m1") == 4)
        #expect(Evaluation.bitsPerWeight(format: "int4") == 4)
        #expect(Evaluation.bitsPerWeight(format: "int8@0.5") == 8)
        #expect(Evaluation.bitsPerWeight(format: "bf16") == 16)
        #expect(Evaluation.bitsPerWeight(format: "fp16") == 16)
        #expect(Evaluation.bitsPerWeight(format: "nonsense") == nil)
    }

    @Test func accuracyTiesGoToFirstIndex() throws {
        // Output = identity of a 2-input network with zero weights except a copy: outputs tie when inputs tie.
        let layer = try DenseLayer(weight: [1, 0, 0, 1], bias: [0, 0], inputs: 2, outputs: 2)
        let net = try ReLUNetwork(layers: [layer])
        let data = EvaluationData(inputs: [1, 1, 0, 2, 3, 1], count: 3, labels: [0, 1, 1])
        #expect(Evaluation.predictions(net, data.inputs, batch: 3) == [0, 1, 0])
        #expect(Evaluation.correct(net, data) == 2)
        #expect(Evaluation.accuracy(net, data) == 2.0 / 3.0)
    }

    @Test func validateRejectsMismatches() throws {
        let net = ReLUNetwork.random(widths: [3, 4, 2], seed: 1)
        #expect(throws: EvaluationError.self) { try EvaluationData(inputs: [1, 2, 3, 4], count: 1).validate(for: net) }
        #expect(throws: EvaluationError.self) {
            try EvaluationData(inputs: [1, 2, 3], count: 1, labels: [0, 1]).validate(for: net)
        }
        #expect(throws: EvaluationError.self) {
            try EvaluationData(inputs: [1, 2, 3], count: 1, labels: [2]).validate(for: net)
        }
        try EvaluationData(inputs: [1, 2, 3], count: 1, labels: [1]).validate(for: net)
    }

    @Test func layerSharesSumToOneAndAreRescalingInvariant() throws {
        let net = ReLUNetwork.random(widths: [4, 6, 5, 3], seed: 2)
        let q = try NetworkQuantizer.quantize(net, method: .coordinateDescent,
                                              grids: try NetworkGridSpec(format: "e3m2")).network
        let shares = Evaluation.layerShares(original: net, quantized: q)
        #expect(shares.count == 3)
        #expect(abs(shares.reduce(0, +) - 1) < 1e-12)
        let rescaled = net.randomlyRescaled(choices: [1, 128, 4096], seed: 3).network
        let shares2 = Evaluation.layerShares(original: rescaled, quantized: q)
        #expect(shares2.count == shares.count)
        for (a, b) in zip(shares, shares2) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func reportRendersTableJsonHtml() throws {
        let net = ReLUNetwork.random(widths: [4, 6, 3], seed: 5)
        var rng = SeededGenerator(seed: 6)
        let data = EvaluationData(inputs: rng.gaussians(40), count: 10, labels: (0..<10).map { $0 % 3 })
        let report = try QuantizationReport.run(network: net, title: "t", methods: ["rtn", "exact"],
                                                formats: ["e4m3", "int4"], data: data)
        #expect(report.entries.count == 4)
        let table = report.table()
        #expect(table.contains("exact") && table.contains("int4"))
        let json = report.json()
        #expect(json.contains("\"accuracy\"") && json.contains("\"layer_shares\""))
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg") && html.contains("not"))
        #expect(report.csv().split(separator: "\n").count == 5)
        for e in report.entries { #expect(e.accuracy != nil && e.outputRelativeError != nil) }
    }
}
