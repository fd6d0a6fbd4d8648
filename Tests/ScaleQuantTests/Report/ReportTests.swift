import Testing
@testable import ScaleQuant

/// Evaluation measures and reports of perceptron graphs.
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
        // The identity as a one-layer perceptron: outputs tie when inputs tie.
        let net = try GraphNetwork.perceptron(widths: [2, 2], weights: [[1, 0, 0, 1]], biases: [[0, 0]])
        let data = EvaluationData(inputs: [1, 1, 0, 2, 3, 1], count: 3, labels: [0, 1, 1])
        let y = try net.forward(data.inputs, batch: 3)
        #expect(Evaluation.correct(outputs: y, width: 2, labels: [0, 1, 0]) == 3)  // argmax [0, 1, 0]
        #expect(Evaluation.correct(outputs: y, width: 2, labels: [1, 1, 0]) == 2)
        #expect(try Evaluation.accuracy(net, data) == 2.0 / 3.0)
        #expect(try Evaluation.accuracy(net, EvaluationData(inputs: data.inputs, count: 3)) == nil)
    }

    @Test func validateRejectsMismatches() throws {
        let net = GraphNetwork.randomPerceptron(widths: [3, 4, 2], seed: 1)
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
        let net = GraphNetwork.randomPerceptron(widths: [4, 6, 5, 3], seed: 2)
        let q = try GraphQuantizer.quantize(net, method: .coordinateDescent, grids: try GraphGridSpec(format: "e3m2")).network
        let shares = try Evaluation.layerShares(original: net, quantized: q)
        #expect(shares.count == 3)
        #expect(abs(shares.reduce(0, +) - 1) < 1e-12)
        let rescaled = try net.randomlyRescaled(choices: [1, 128, 4096], seed: 3).network
        let shares2 = try Evaluation.layerShares(original: rescaled, quantized: q)
        #expect(shares2.count == shares.count)
        for (a, b) in zip(shares, shares2) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func reportRendersTableJsonHtml() throws {
        let net = GraphNetwork.randomPerceptron(widths: [4, 6, 3], seed: 5)
        var rng = SeededGenerator(seed: 6)
        let data = EvaluationData(inputs: rng.gaussians(40), count: 10, labels: (0..<10).map { $0 % 3 })
        let report = try QuantizationReport.run(graph: net, title: "t", methods: ["rtn", "exact"],
                                                formats: ["e4m3", "int4"], data: data)
        #expect(report.entries.count == 4)
        // A perceptron keeps its widths and the "layer ℓ" names (no graph summary, no node names).
        #expect(report.widths == [4, 6, 3] && report.modelSummary == nil && report.layerNames == nil)
        #expect(report.header.contains("4-6-3 ReLU network"))
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
