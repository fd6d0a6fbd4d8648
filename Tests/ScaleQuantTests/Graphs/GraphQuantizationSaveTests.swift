import Foundation
import Testing
@testable import ScaleQuant

@Suite("Graphs: saving a quantization result next to its spec")
struct GraphQuantizationSaveTests {
    @Test("save writes the metadata, description and dtype, and the quantized graph reloads")
    func writesMetadata() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("in.json")
        let graph = try tinyResNet(seed: 7)
        try graph.save(spec: input, layout: GraphLayout(description: "tiny"), metadata: ["origin": "test"])
        let (loaded, layout) = try GraphNetwork.loadWithLayout(spec: input)
        #expect(GraphNetwork.weightsURL(spec: input)?.lastPathComponent == "in.safetensors")
        let result = try GraphQuantizer.quantize(loaded, method: .rtn, grids: GraphGridSpec(weights: .integerPerLayer(bits: 4)))
        let output = folder.appendingPathComponent("out.json")
        try result.save(spec: output, input: input, layout: layout, method: "rtn", format: "int4")
        let file = try SafeTensorsFile.read(folder.appendingPathComponent("out.safetensors").path)
        #expect(file.metadata["origin"] == "test")
        #expect(file.metadata["format"] == "int4" && file.metadata["bias_format"] == "int4")
        #expect(file.metadata["method"] == "rtn" && file.metadata["folded_batch_norm"] == "no")
        #expect(file.metadata["l2_path_metric"] == NumberText.shortest(result.l2PathMetric))
        let (saved, savedLayout) = try GraphNetwork.loadWithLayout(spec: output)
        #expect(savedLayout.description == "tiny; quantized: rtn, int4")
        #expect(saved.nodes.map(\.weight) == result.network.nodes.map(\.weight))

        try result.save(spec: output, input: input, layout: layout, method: "cd", format: "e4m3", biasFormat: "bf16",
                        dtype: .float64)
        let again = try SafeTensorsFile.read(folder.appendingPathComponent("out.safetensors").path)
        #expect(again.metadata["bias_format"] == "bf16" && again.metadata["method"] == "cd")
        #expect(again.tensors.allSatisfy { $0.array.dtype == .float64 })
    }

    @Test("save refuses to overwrite the input spec or its weights file, which stay unchanged")
    func refusesInputs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("in.json")
        try tinyCNN(seed: 3).save(spec: input)
        let (graph, layout) = try GraphNetwork.loadWithLayout(spec: input)
        let specBytes = try Data(contentsOf: input)
        let weights = folder.appendingPathComponent("in.safetensors")
        let weightBytes = try Data(contentsOf: weights)
        let result = try GraphQuantizer.quantize(graph, method: .rtn, grids: GraphGridSpec(weights: .integerPerLayer(bits: 4)))
        #expect(throws: FileFormatError.self) {
            try result.save(spec: input, input: input, layout: layout, method: "rtn", format: "int4")
        }
        // Another spec path whose weights file (same stem, .safetensors) is the input's weights.
        let sibling = folder.appendingPathComponent("in.JSON")
        #expect(throws: FileFormatError.self) {
            try result.save(spec: sibling, input: input, layout: layout, method: "rtn", format: "int4")
        }
        #expect(try Data(contentsOf: input) == specBytes)
        #expect(try Data(contentsOf: weights) == weightBytes)
    }
}
