import Foundation
import Testing
@testable import ScaleQuant

/// Perceptrons as bare tensor files (`.safetensors`, `.npz`): ``GraphNetwork/load(tensorFile:spec:)``,
/// ``GraphNetwork/perceptron(tensors:spec:)`` and ``GraphNetwork/save(tensorFile:layout:metadata:preferred:refusingToOverwrite:)``.
@Suite("Networks: IO")
struct NetworkIOTests {
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sq-net-\(UUID().uuidString)-\(name)").path
    }

    @Test("round trip through safetensors and npz keeps values, names and dtype")
    func roundTrip() throws {
        let net = GraphNetwork.randomPerceptron(widths: [4, 6, 3], seed: 2).mapped { Double(Float($0)) }
        for ext in ["safetensors", "npz"] {
            let path = tempPath("m.\(ext)")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try net.save(tensorFile: path, layout: .sequential(layers: 2, dtype: .float32), metadata: ["method": "rtn"])
            let (back, layout) = try GraphNetwork.load(tensorFile: path)
            #expect(back == net)
            #expect(layout.dtype == .float32)
            #expect(layout.names.map(\.weight) == ["0.weight", "2.weight"])
            if ext == "safetensors" { #expect(layout.metadata["method"] == "rtn") }
        }
    }

    @Test("FP8 codes are written when every value is representable")
    func fp8() throws {
        let grid = FormatCatalog.preset(named: "e4m3")!
        let net = GraphNetwork.randomPerceptron(widths: [3, 4, 2], seed: 5).mapped { grid.round($0) }
        let t = try net.tensors(layout: .sequential(layers: 2), preferred: .float8E4M3FN)
        #expect(t.count == 4 && t.allSatisfy { $0.1.dtype == .float8E4M3FN })
        let path = tempPath("m.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try net.save(tensorFile: path, layout: .sequential(layers: 2), preferred: .float8E4M3FN)
        #expect(try GraphNetwork.load(tensorFile: path).network == net)
    }

    @Test("names: any increasing integer prefixes, spec mapping, optional bias")
    func naming() throws {
        let w0 = try NDArray(shape: [3, 2], values: [1, 2, 3, 4, 5, 6]), b0 = NDArray(vector: [1, 0, -1])
        let w1 = try NDArray(shape: [1, 3], values: [1, -1, 2])
        let (n1, l1) = try GraphNetwork.perceptron(tensors: [("7.weight", w1), ("1.weight", w0), ("1.bias", b0)])
        #expect(n1.perceptronWidths == [2, 3, 1])
        #expect(try denseLayers(n1)[1].bias == [0])
        #expect(l1.names.map(\.weight) == ["1.weight", "7.weight"] && l1.names[1].bias == nil)
        let spec = try NetworkNameSpec.parse(#"{"layers":[{"weight":"fc1.w","bias":"fc1.b"},{"weight":"fc2.w"}]}"#)
        let (n2, _) = try GraphNetwork.perceptron(tensors: [("fc1.w", w0), ("fc1.b", b0), ("fc2.w", w1)], spec: spec)
        #expect(n2 == n1)
        #expect(throws: GraphError.invalidGraph("tensors [\"fc1.w\"] do not follow nn.Sequential names (N.weight, "
                                                + "N.bias) of a perceptron: give a layer-name spec (--spec), or "
                                                + "describe a convolutional or residual network by a graph spec (.json)")) {
            try GraphNetwork.perceptron(tensors: [("fc1.w", w0)])
        }
        // The tensors of a CNN (a 4-D weight) get the hint to write a graph spec.
        let conv = try NDArray(shape: [2, 1, 3, 3], values: [Double](repeating: 0.5, count: 18))
        #expect(throws: GraphError.invalidGraph("'0.weight' has shape [2, 1, 3, 3], expected 2-D (out × in): a 4-D "
                                                + "weight is a convolution; describe the network by a graph spec (.json)")) {
            try GraphNetwork.perceptron(tensors: [("0.weight", conv)])
        }
        do {
            _ = try NetworkNameSpec.parse(#"{"nodes": []}"#, file: "g.json")
            Issue.record("graph spec accepted as a layer-name spec")
        } catch let GraphError.invalidSpec(file, reason) {
            #expect(file == "g.json" && reason.contains("this is a graph spec"))
        }
    }

    @Test("mismatched shapes and NaN are rejected with clear errors")
    func errors() throws {
        let w0 = try NDArray(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let bad = try NDArray(shape: [1, 4], values: [1, 2, 3, 4])
        func message(_ tensors: [(String, NDArray)]) -> String? {
            do { _ = try GraphNetwork.perceptron(tensors: tensors); return nil } catch { return "\(error)" }
        }
        #expect(message([("0.weight", w0), ("2.weight", bad)])?.contains("shape mismatch: layer 1 has 4 inputs") == true)
        let nan = try NDArray(shape: [3, 2], values: [1, .nan, 3, 4, 5, 6])
        #expect(message([("0.weight", nan)])?.contains("0.weight[1] is NaN or infinite") == true)
        #expect(message([("0.weight", w0), ("0.bias", NDArray(vector: [1, 2]))])?.contains("'0.bias' has shape [2]") == true)
        // Loading names the file.
        let path = tempPath("nan.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafeTensorsFile(tensors: [.init(name: "0.weight", array: nan)], metadata: [:]).write(to: path)
        #expect(throws: GraphError.invalidSpec(file: path, reason: "0.weight[1] is NaN or infinite")) {
            try GraphNetwork.load(tensorFile: path)
        }
    }
}
