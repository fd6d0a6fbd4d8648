import Foundation
import Testing
import ScaleQuant
@testable import ScaleQuantCLI

@Suite struct QuantizeWorkflowTests {
    let resources = DemoCommand.resourcesDirectory()
    var model: String { resources + "/models/digits_mlp_64_32_10.safetensors" }
    var x: String { resources + "/data/digits_test_x.npy" }
    var y: String { resources + "/data/digits_test_y.npy" }
    var calib: String { resources + "/data/digits_calib_x.npy" }

    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sq-wf-\(UInt64.random(in: 0...UInt64.max))-\(name)").path
    }

    @Test func evalReportsAccuracyOfTheWrittenFile() throws {
        let out = temp("q.safetensors")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let text = try parse(["quantize", model, "--format", "e4m3", "--method", "rtn", "-o", out, "--eval", x, y,
                              "--json"], as: QuantizeCommand.self).render()
        let obj = try #require(try jsonObject(text) as? [String: Any])
        let acc = try #require(obj["accuracy"] as? Double)
        #expect(obj["float_accuracy"] as? Double == 438.0 / 450.0)
        #expect(obj["l2_path_metric"] as? Double != nil)
        // The written file is float (not FP8 codes) and gives the same accuracy through `evaluate`.
        let file = try SafeTensorsFile.read(out)
        #expect(file["0.weight"]?.dtype == .float32)
        let ev = try parse(["evaluate", out, "--data", x, "--labels", y, "--json"], as: EvaluateCommand.self).render()
        let evObj = try #require(try jsonObject(ev) as? [String: Any])
        #expect(evObj["accuracy"] as? Double == acc)
    }

    @Test func severalMethodsAndFormatsWriteADirectory() throws {
        let dir = temp("out"), rep = temp("rep")
        defer { for p in [dir, rep] { try? FileManager.default.removeItem(atPath: p) } }
        let text = try parse(["quantize", model, "--formats", "e4m3,int4", "--methods", "rtn,data", "--calib", calib,
                              "-o", dir, "--eval", x, y, "--report", rep, "--max-sweeps", "2", "--quiet"],
                             as: QuantizeCommand.self).render()
        #expect(text.contains("data"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.filter { $0.hasSuffix(".safetensors") }.count == 4)
        #expect(files.contains("summary.json"))
        #expect(FileManager.default.fileExists(atPath: rep + "/report.html"))
    }

    @Test func clearErrors() throws {
        let out = temp("q.safetensors")
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(throws: CLIError("method data needs calibration inputs: add --calib X.npy (shape [N, 64])")) {
            try parse(["quantize", model, "--format", "e4m3", "--method", "data", "-o", out],
                      as: QuantizeCommand.self).render()
        }
        // Calibration inputs of the wrong shape (labels: 1-D), or a missing file: a clear error, not a crash.
        do {
            let thrown = #expect(throws: CLIError.self) {
                try parse(["quantize", model, "--format", "e4m3", "--method", "data", "-o", out, "--calib", y],
                          as: QuantizeCommand.self).render()
            }
            #expect(thrown.map { !$0.message.isEmpty && !$0.message.contains("\n") } ?? false)
        }
        #expect(throws: CLIError.self) {
            try parse(["quantize", model, "--format", "e4m3", "--method", "data", "-o", out, "--calib", "/nonexistent.npy"],
                      as: QuantizeCommand.self).render()
        }
        // Labels length != rows (calibration inputs have 256 rows, labels 450).
        #expect(throws: CLIError.self) {
            try parse(["quantize", model, "--format", "e4m3", "--method", "rtn", "-o", out, "--eval", calib, y],
                      as: QuantizeCommand.self).render()
        }
        #expect(throws: CLIError.self) {
            try parse(["quantize", model, "--format", "e4m3", "--method", "rtn", "-o", out, "--eval", x],
                      as: QuantizeCommand.self).render()
        }
        #expect(throws: CLIError.self) {
            try parse(["quantize", model, "--format", "e4m3", "--method", "nope", "-o", out],
                      as: QuantizeCommand.self).render()
        }
    }
}
