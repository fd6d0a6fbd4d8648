import Foundation
import Testing
import ScaleQuant
@testable import ScaleQuantCLI

@Suite struct EvaluateCommandTests {
    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sq-ev-\(UInt64.random(in: 0...UInt64.max))-\(name)").path
    }

    @Test func bundledModelAccuracy() throws {
        let r = DemoCommand.resourcesDirectory()
        let text = try parse(["evaluate", r + "/models/digits_mlp_64_32_10.safetensors", "--data",
                              r + "/data/digits_test_x.npy", "--labels", r + "/data/digits_test_y.npy", "--json"],
                             as: EvaluateCommand.self).render()
        let obj = try #require(try jsonObject(text) as? [String: Any])
        #expect(obj["correct"] as? Int == 438)
        #expect(obj["widths"] as? [Int] == [64, 32, 10] && obj["input_shape"] == nil)
    }

    @Test("graph specs: the bundled CNN and ResNet (batch norm folded) give the torch accuracies, with input_shape")
    func bundledGraphAccuracy() throws {
        let r = DemoCommand.resourcesDirectory()
        for (name, expected) in [("cnn", 444), ("resnet", 446)] {
            let text = try parse(["evaluate", r + "/models/digits_\(name).json", "--data", r + "/data/digits_test_x.npy",
                                  "--labels", r + "/data/digits_test_y.npy", "--json"], as: EvaluateCommand.self).render()
            let obj = try #require(try jsonObject(text) as? [String: Any])
            #expect(obj["correct"] as? Int == expected, "\(name)")
            #expect(obj["samples"] as? Int == 450)
            #expect(obj["input_shape"] as? [Int] == [1, 8, 8] && obj["widths"] == nil, "\(name)")
        }
        let spec = cliErrorMessage {
            _ = try parse(["evaluate", r + "/models/digits_cnn.json", "--data", r + "/data/digits_test_x.npy",
                           "--spec", r + "/models/digits_cnn.json"], as: EvaluateCommand.self).render()
        }
        #expect(spec?.contains("graph spec") == true)
    }

    @Test func misShapedFilesAreClearErrors() throws {
        let model = temp("m.safetensors"), x = temp("x.npy"), yBad = temp("y.npy"), yFloat = temp("t.npy")
        defer { for p in [model, x, yBad, yFloat] { try? FileManager.default.removeItem(atPath: p) } }
        let net = GraphNetwork.randomPerceptron(widths: [3, 4, 2], seed: 1)
        try net.save(tensorFile: model, layout: .sequential(layers: 2, dtype: .float64))
        try NPY.write(try NDArray(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), to: x)
        try NPY.write(try NDArray(shape: [2], values: [0, 5], dtype: .int64), to: yBad)
        try NPY.write(try NDArray(shape: [2, 2], values: [1, 2, 3, 4]), to: yFloat)
        #expect(throws: CLIError.self) {
            try parse(["evaluate", model, "--data", x, "--labels", yBad], as: EvaluateCommand.self).render()
        }
        let reg = try parse(["evaluate", model, "--data", x, "--labels", yFloat], as: EvaluateCommand.self).render()
        #expect(reg.contains("eval_relative_error"))
        let summary = try parse(["evaluate", model, "--data", x], as: EvaluateCommand.self).render()
        #expect(summary.contains("output_mean"))
        let wrongWidth = temp("w.npy")
        defer { try? FileManager.default.removeItem(atPath: wrongWidth) }
        try NPY.write(try NDArray(shape: [2, 2], values: [1, 2, 3, 4]), to: wrongWidth)
        #expect(throws: CLIError.self) {
            try parse(["evaluate", model, "--data", wrongWidth], as: EvaluateCommand.self).render()
        }
    }
}
