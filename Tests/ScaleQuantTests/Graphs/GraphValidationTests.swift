import Foundation
import Testing
@testable import ScaleQuant

@Suite("Graphs: validation and spec errors")
struct GraphValidationTests {
    /// A valid little graph's nodes: conv 1→2 (3×3, padding 1), relu, flatten, linear 2·4·4 → 3.
    static func nodes() -> [GraphNode] {
        [.conv2d("c", input: "input", weight: [Double](repeating: 0.1, count: 18), bias: nil,
                 geometry: Conv2DGeometry(inChannels: 1, outChannels: 2, kernel: (3, 3), padding: (1, 1))),
         .relu("r", input: "c"),
         .flatten("f", input: "r"),
         .linear("fc", input: "f", weight: [Double](repeating: 0.2, count: 96), bias: [0, 0, 0], inFeatures: 32,
                 outFeatures: 3)]
    }

    /// The message of the error `body` throws.
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test("a valid graph infers its shapes")
    func valid() throws {
        let g = try GraphNetwork(inputShape: [1, 4, 4], nodes: Self.nodes(), output: "fc")
        #expect(g.nodes.map(\.outputShape) == [[2, 4, 4], [2, 4, 4], [32], [3]])
        #expect(g.sourceValues == [[0], [1], [2], [3]])
        #expect(g.parameterCount == 18 + 2 + 96 + 3)
    }

    @Test("structural errors are clear")
    func structuralErrors() {
        var n = Self.nodes()
        n[1].inputs = ["nope"]
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("unknown input 'nope'"))
        n = Self.nodes()
        n[1].inputs = ["f"]
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("topological order"))
        n = Self.nodes()
        n[1].inputs = ["r"]
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("cycle"))
        n = Self.nodes()
        n[2].name = "r"
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("used by another node"))
        n = Self.nodes()
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n, output: "r") }.contains("last node"))
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n, output: "zz") }.contains("not a node"))
        n.insert(.relu("dead", input: "c"), at: 1)
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("not read by any"))
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4], nodes: Self.nodes()) }.contains("input shape"))
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: []) }.contains("at least one node"))
        n = Self.nodes()
        n.insert(.add("a", "c", "c"), at: 1)
        n[2].inputs = ["a", "c"]
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("takes 1 input"))
    }

    @Test("shape and parameter errors are clear")
    func shapeErrors() {
        var n = Self.nodes()
        n[0].weight.removeLast()
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("weight has 17 values"))
        n = Self.nodes()
        n[0].weight[3] = .nan
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("weight[3] is NaN"))
        n = Self.nodes()
        n[3].bias[1] = .infinity
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("bias[1] is NaN"))
        #expect(message { _ = try GraphNetwork(inputShape: [2, 4, 4], nodes: Self.nodes()) }.contains("in_channels"))
        #expect(message { _ = try GraphNetwork(inputShape: [1, 5, 4], nodes: Self.nodes()) }.contains("in_features"))
        n = Self.nodes()
        n[0].outputShape = [2, 5, 5]
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("declared output shape"))
        n = Self.nodes()
        n[0].operation = .conv2d(Conv2DGeometry(inChannels: 1, outChannels: 2, kernel: (3, 3), groups: 2))
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("groups = 2"))
        n = Self.nodes()
        n[0].operation = .conv2d(Conv2DGeometry(inChannels: 1, outChannels: 2, kernel: (3, 3), stride: (0, 1)))
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("strides"))
        n = Self.nodes()
        n[0].operation = .conv2d(Conv2DGeometry(inChannels: 1, outChannels: 2, kernel: (5, 5)))
        n[0].weight = [Double](repeating: 0.1, count: 50)
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("larger than the padded"))
        n = Self.nodes()
        n.insert(.maxPool2d("p", input: "r", kernel: (5, 5)), at: 2)
        n[3].inputs = ["p"]
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("window 5×5"))
        n = Self.nodes()
        n[3].inputs = ["r"]
        n.remove(at: 2)
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("flatten first"))
        n = Self.nodes()
        n.insert(.add("a", "c", "input"), at: 1)
        n[2].inputs = ["a"]
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("equal shape"))
        n = Self.nodes()
        n.insert(.batchNorm2d("bn", input: "c", parameters: BatchNormParameters(
            gamma: [1, 1], beta: [0, 0], runningMean: [0, 0], runningVariance: [-1, 1], eps: 1e-5)), at: 1)
        n[2].inputs = ["bn"]
        #expect(message { _ = try GraphNetwork(inputShape: [1, 4, 4], nodes: n) }.contains("running_var[0]"))
    }

    @Test("settingParameters checks sizes and finiteness")
    func settingParameters() throws {
        let g = try GraphNetwork(inputShape: [1, 4, 4], nodes: Self.nodes())
        let h = try g.settingParameters(ofNode: 0, weight: [Double](repeating: 1, count: 18), bias: [1, 2])
        #expect(h.nodes[0].bias == [1, 2])
        #expect(throws: GraphError.self) { _ = try g.settingParameters(ofNode: 1, weight: [], bias: []) }
        #expect(throws: GraphError.self) { _ = try g.settingParameters(ofNode: 0, weight: [1], bias: [1, 2]) }
        #expect(throws: GraphError.self) {
            _ = try g.settingParameters(ofNode: 0, weight: [Double](repeating: .nan, count: 18), bias: [1, 2])
        }
    }

    /// Writes `json` (with `WEIGHTS` replaced by the bundled CNN weights' path) and loads it.
    func loadSpec(_ json: String) throws -> GraphNetwork {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("spec.json")
        try json.replacingOccurrences(of: "WEIGHTS", with: resource("models/digits_cnn.safetensors").path)
            .write(to: url, atomically: true, encoding: .utf8)
        return try GraphNetwork.load(spec: url)
    }

    static let specHead = """
    {"format": "scalequant-graph", "version": 1, "weights": "WEIGHTS", "input": {"shape": [1, 8, 8]}, "output": "fc",
    """

    @Test("spec errors name the file, node and problem")
    func specErrors() throws {
        let conv = #"{"name": "c", "kind": "conv2d", "inputs": ["input"], "weight": "0.weight", "bias": "0.bias", "in_channels": 1, "out_channels": 8, "kernel_size": [3, 3], "padding": 1"#
        let tail = #", {"name": "f", "kind": "flatten", "inputs": ["c"]}, {"name": "fc", "kind": "linear", "inputs": ["f"], "weight": "7.weight", "bias": "7.bias", "in_features": 512, "out_features": 10}]}"#
        func spec(_ convExtra: String, _ t: String = tail) -> String { Self.specHead + #""nodes": ["# + conv + convExtra + "}" + t }
        // 7.weight is [10, 64]: the in_features check names the tensor and the shapes.
        var m = message { _ = try loadSpec(spec("")) }
        #expect(m.contains("tensor '7.weight' (weight) has shape [10, 64], expected [10, 512]"))
        #expect(m.contains("spec.json"))
        m = message { _ = try loadSpec(spec(#", "dilation": [2, 2]"#)) }
        #expect(m.contains("node 'c'") && m.contains("dilation"))
        m = message { _ = try loadSpec(spec(#", "padding_mode": "reflect""#)) }
        #expect(m.contains("padding_mode"))
        m = message { _ = try loadSpec(spec("", #", {"name": "fc", "kind": "softmax", "inputs": ["c"]}]}"#)) }
        #expect(m.contains("unknown kind 'softmax'"))
        m = message { _ = try loadSpec(Self.specHead + #""nodes": [{"name": "c", "kind": "conv2d", "inputs": ["input"], "weight": "missing", "in_channels": 1, "out_channels": 8, "kernel_size": 3}]}"#) }
        #expect(m.contains("tensor 'missing' (weight) is not in digits_cnn.safetensors"))
        m = message { _ = try loadSpec("{not json") }
        #expect(m.contains("not valid JSON"))
        m = message { _ = try loadSpec(#"{"format": "other", "version": 1}"#) }
        #expect(m.contains("scalequant-graph"))
        m = message { _ = try loadSpec(spec(#", "kernel_size": "3""#)) }
        #expect(m.contains("kernel_size"))
        m = message { _ = try GraphNetwork.load(spec: URL(fileURLWithPath: "/nonexistent/spec.json")) }
        #expect(m.contains("no such file"))
    }

    @Test("a spec with int kernel sizes, null biases and default strides loads")
    func specDefaults() throws {
        let g = try loadSpec(Self.specHead + #""nodes": [{"name": "c", "kind": "conv2d", "inputs": ["input"], "weight": "0.weight", "bias": null, "in_channels": 1, "out_channels": 8, "kernel_size": 3, "padding": 1, "output_shape": [8, 8, 8]}, {"name": "p", "kind": "maxpool2d", "inputs": ["c"], "kernel_size": 2}, {"name": "c2", "kind": "conv2d", "inputs": ["p"], "weight": "3.weight", "in_channels": 8, "out_channels": 16, "kernel_size": [3, 3], "padding": [1, 1]}, {"name": "a", "kind": "avgpool2d", "inputs": ["c2"], "kernel_size": 2, "stride": null}, {"name": "f", "kind": "flatten", "inputs": ["a"]}, {"name": "fc", "kind": "linear", "inputs": ["f"], "weight": "7.weight", "in_features": 64, "out_features": 10}]}"#)
        #expect(g.nodes.map(\.outputShape) == [[8, 8, 8], [8, 4, 4], [16, 4, 4], [16, 2, 2], [64], [10]])
        #expect(g.nodes.allSatisfy { !$0.hasBias })
        #expect(g.nodes[0].bias == [Double](repeating: 0, count: 8))
    }
}
