import Foundation
import Testing
@testable import ScaleQuant

@Suite("Graphs: batch-norm folding, loading and saving")
struct GraphIOTests {
    @Test("batch-norm folding preserves outputs to 1e-12 on random graphs", arguments: 0..<8)
    func foldingPreservesOutputs(_ seed: Int) throws {
        var g = try randomGraph(seed: UInt64(300 + seed), batchNorm: true)
        if !g.hasBatchNorm {  // a draw without conv blocks: add a BN on the final linear layer's output
            var nodes = g.nodes
            let c = nodes[nodes.count - 1].bias.count
            nodes.append(.batchNorm2d("bnout", input: nodes[nodes.count - 1].name, parameters: BatchNormParameters(
                gamma: [Double](repeating: 1.5, count: c), beta: [Double](repeating: 0.2, count: c),
                runningMean: [Double](repeating: 0.1, count: c), runningVariance: [Double](repeating: 2, count: c))))
            g = try GraphNetwork(inputShape: g.inputShape, nodes: nodes)
        }
        let folded = try g.foldingBatchNorm()
        #expect(!folded.hasBatchNorm)
        #expect(folded.nodes.count < g.nodes.count)
        let x = uniformSamples(50 * g.inputSize, radius: 3, seed: UInt64(seed))
        let a = try g.forward(x, batch: 50), b = try folded.forward(x, batch: 50)
        #expect(maxRelDiff(b, a) < 1e-12)
    }

    @Test("folding the bundled ResNet: no BN nodes, convs gain biases, same logits; the spec round-trips")
    func foldBundledResNet() throws {
        let (g, layout) = try GraphNetwork.loadWithLayout(spec: resource("models/digits_resnet.json"))
        #expect(g.hasBatchNorm)
        #expect(layout.tensorName(node: "bn0", field: "running_var") == "bn0.running_var")
        #expect(layout.dtype == .float32)
        let folded = try g.foldingBatchNorm()
        #expect(folded.nodes.map(\.operation.kind)
                == ["conv2d", "relu", "conv2d", "relu", "conv2d", "add", "relu", "avgpool2d", "flatten", "linear"])
        let convs = folded.nodes.filter { $0.operation.kind == "conv2d" }
        #expect(convs.count == 3 && convs.allSatisfy { $0.hasBias })
        #expect(folded.nodes[5].inputs == ["conv2", "relu0"])
        let (x, _) = try digitsTestSplit()
        #expect(try maxRelDiff(folded.forward(x, batch: 450), g.forward(x, batch: 450)) < 1e-12)

        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("folded.json")
        try folded.save(spec: spec, layout: layout, metadata: ["method": "fold"])
        let text = try String(contentsOf: spec, encoding: .utf8)
        #expect(!text.contains("batchnorm2d"))
        #expect(text.contains("\"bias\": \"conv0.bias\""))
        #expect(text.contains("\"weights\": \"folded.safetensors\""))
        let file = try SafeTensorsFile.read(dir.appendingPathComponent("folded.safetensors").path)
        #expect(file.metadata == ["method": "fold"])
        let back = try GraphNetwork.load(spec: spec)
        // Folded values are not all float32 numbers: tensors that need it are float64, so the graph is exact.
        #expect(back == folded)
    }

    @Test("the bundled CNN round-trips exactly with its tensor names")
    func roundTripCNN() throws {
        let input = resource("models/digits_cnn.json")
        let (g, layout) = try GraphNetwork.loadWithLayout(spec: input)
        #expect(layout.tensorNames["conv2"] == ["weight": "3.weight", "bias": "3.bias"])
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("copy.json"), weights = dir.appendingPathComponent("w.safetensors")
        try g.save(spec: spec, weights: weights, layout: layout,
                   refusingToOverwrite: [input, resource("models/digits_cnn.safetensors")])
        let (back, backLayout) = try GraphNetwork.loadWithLayout(spec: spec)
        #expect(back == g)
        #expect(backLayout.tensorNames == layout.tensorNames)
        #expect(try SafeTensorsFile.read(weights.path).tensors.allSatisfy { $0.array.dtype == .float32 })
        // Rescaled values need float64; the round trip stays exact.
        let scaled = try g.randomlyRescaled(choices: [1, 3, 1e5], seed: 2).network
        try scaled.save(spec: spec, weights: weights, layout: layout)
        #expect(try GraphNetwork.load(spec: spec) == scaled)
    }

    @Test("saving never overwrites an input and rejects spec == weights")
    func refusesToOverwrite() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = try tinyCNN(seed: 4)
        let spec = dir.appendingPathComponent("g.json")
        try g.save(spec: spec)
        let weights = dir.appendingPathComponent("g.safetensors")
        #expect(try GraphNetwork.load(spec: spec) == g)
        #expect(throws: FileFormatError.refusingToOverwriteInput(file: weights.path)) {
            try g.save(spec: dir.appendingPathComponent("h.json"), weights: weights, refusingToOverwrite: [spec, weights])
        }
        #expect(throws: FileFormatError.self) {
            try g.save(spec: spec, weights: dir.appendingPathComponent("other.safetensors"), refusingToOverwrite: [spec])
        }
        #expect(throws: GraphError.self) { try g.save(spec: spec, weights: spec) }
    }

    @Test("a perceptron graph saves with nn.Sequential names")
    func perceptronNames() throws {
        let g = GraphNetwork.randomPerceptron(widths: [4, 3, 2], seed: 1)
        let (tensors, _) = try g.namedTensors(GraphLayout())
        #expect(tensors.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    }

    @Test("folding refuses a batch norm that does not follow a conv/linear feeding only it")
    func foldingErrors() throws {
        let p = BatchNormParameters(gamma: [1], beta: [0], runningMean: [0], runningVariance: [1])
        let afterRelu = try GraphNetwork(inputShape: [1, 3, 3], nodes: [
            .conv2d("c", input: "input", weight: [1], bias: nil,
                    geometry: Conv2DGeometry(inChannels: 1, outChannels: 1, kernel: (1, 1))),
            .relu("r", input: "c"), .batchNorm2d("bn", input: "r", parameters: p), .flatten("f", input: "bn")])
        #expect(throws: GraphError.self) { _ = try afterRelu.foldingBatchNorm() }
        let shared = try GraphNetwork(inputShape: [1, 3, 3], nodes: [
            .conv2d("c", input: "input", weight: [1], bias: nil,
                    geometry: Conv2DGeometry(inChannels: 1, outChannels: 1, kernel: (1, 1))),
            .batchNorm2d("bn", input: "c", parameters: p), .add("a", "bn", "c"), .flatten("f", input: "a")])
        #expect(throws: GraphError.self) { _ = try shared.foldingBatchNorm() }
        #expect(throws: GraphError.self) { _ = try shared.channelGroups }
        #expect(throws: GraphError.self) { _ = try GraphPathLifting.pathNorm(shared) }
    }
}
