import Foundation
import Testing
@testable import ScaleQuant

@Suite("Networks: IO")
struct NetworkIOTests {
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sq-net-\(UInt64.random(in: 0...UInt64.max))-\(name)").path
    }

    @Test("round trip through safetensors and npz keeps values, names and dtype")
    func roundTrip() throws {
        let net = ReLUNetwork.random(widths: [4, 6, 3], seed: 2).mapped { Double(Float($0)) }
        for ext in ["safetensors", "npz"] {
            let path = tempPath("m.\(ext)")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try NetworkIO.save(net, to: path, layout: .sequential(layers: 2, dtype: .float32),
                               metadata: ["method": "rtn"])
            let (back, layout) = try NetworkIO.load(path)
            #expect(back == net)
            #expect(layout.dtype == .float32)
            #expect(layout.names.map(\.weight) == ["0.weight", "2.weight"])
            if ext == "safetensors" { #expect(layout.metadata["method"] == "rtn") }
        }
    }

    @Test("FP8 codes are written when every value is representable")
    func fp8() throws {
        let grid = FormatCatalog.preset(named: "e4m3")!
        let net = ReLUNetwork.random(widths: [3, 4, 2], seed: 5).mapped { grid.round($0) }
        let t = try NetworkIO.tensors(of: net, layout: .sequential(layers: 2), preferred: .float8E4M3FN)
        #expect(t.allSatisfy { $0.1.dtype == .float8E4M3FN })
        let path = tempPath("m.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NetworkIO.save(net, to: path, layout: .sequential(layers: 2), preferred: .float8E4M3FN)
        #expect(try NetworkIO.load(path).network == net)
    }

    @Test("names: any increasing integer prefixes, spec mapping, optional bias")
    func naming() throws {
        let w0 = try NDArray(shape: [3, 2], values: [1, 2, 3, 4, 5, 6]), b0 = NDArray(vector: [1, 0, -1])
        let w1 = try NDArray(shape: [1, 3], values: [1, -1, 2])
        let (n1, l1) = try NetworkIO.build(tensors: [("7.weight", w1), ("1.weight", w0), ("1.bias", b0)])
        #expect(n1.widths == [2, 3, 1])
        #expect(n1.layers[1].bias == [0])
        #expect(l1.names[1].bias == nil)
        let spec = try NetworkNameSpec.parse(#"{"layers":[{"weight":"fc1.w","bias":"fc1.b"},{"weight":"fc2.w"}]}"#)
        let (n2, _) = try NetworkIO.build(tensors: [("fc1.w", w0), ("fc1.b", b0), ("fc2.w", w1)], spec: spec)
        #expect(n2 == n1)
        #expect(throws: NetworkError.self) { try NetworkIO.build(tensors: [("fc1.w", w0)]) }
    }

    @Test("mismatched shapes and NaN are rejected with clear errors")
    func errors() throws {
        let w0 = try NDArray(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let bad = try NDArray(shape: [1, 4], values: [1, 2, 3, 4])
        #expect(throws: NetworkError.self) { try NetworkIO.build(tensors: [("0.weight", w0), ("2.weight", bad)]) }
        let nan = try NDArray(shape: [3, 2], values: [1, .nan, 3, 4, 5, 6])
        do {
            _ = try NetworkIO.build(tensors: [("0.weight", nan)])
            Issue.record("NaN accepted")
        } catch let e as NetworkError {
            #expect(e.description.contains("0.weight"))
        }
        #expect(throws: NetworkError.self) {
            try NetworkIO.build(tensors: [("0.weight", w0), ("0.bias", NDArray(vector: [1, 2]))])
        }
    }
}
