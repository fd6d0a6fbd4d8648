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
        for m in ["data", "gptq", "cle+bc"] {
            #expect(throws: CLIError("method \(m) needs calibration inputs: add --calib X.npy (shape [N, inputs] or "
                                     + "[N, C, H, W])")) {
                try parse(["quantize", model, "--format", "e4m3", "--method", m, "-o", out],
                          as: QuantizeCommand.self).render()
            }
        }
        #expect(throws: CLIError("--calib is used by the calibrated methods only (data, gptq, …+bc)")) {
            try parse(["quantize", model, "--format", "e4m3", "--method", "cd", "--calib", model, "-o", out],
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

    /// Issue #18, items 5 and 11: every format, method and input is checked before any work, and files are written
    /// only once every result exists, so a failing command leaves nothing behind (tensor files and graph specs).
    @Test(arguments: ["mlp", "cnn"])
    func failuresLeaveNothingWritten(_ kind: String) throws {
        let m = kind == "mlp" ? model : resources + "/models/digits_cnn.json"
        let ext = kind == "mlp" ? "safetensors" : "json"
        let dir = temp("out"), single = temp("q.\(ext)"), reportFile = temp("report-is-a-file")
        try "x".write(toFile: reportFile, atomically: true, encoding: .utf8)
        defer { for p in [dir, single, reportFile] { try? FileManager.default.removeItem(atPath: p) } }
        let failing: [[String]] = [
            ["--formats", "e4m3,e2m1,fp7", "--methods", "rtn,cd", "-o", dir],            // a bad format, last
            ["--formats", "e4m3", "--methods", "rtn,nope", "-o", dir],                   // a bad method, last
            ["--formats", "e4m3,int4", "--methods", "rtn", "-o", dir, "--report", reportFile],
            ["--format", "e4m3", "--method", "rtn", "-o", single, "--max-sweeps", "0"],
            ["--format", "e4m3", "--method", "rtn", "-o", single, "--data", y],         // labels are not inputs
            ["--formats", "e4m3,int4", "--methods", "rtn", "-o", dir, "--eval", x, x],  // float "labels" of a CNN
        ]
        for args in failing where kind == "cnn" || args.last != x {
            let message = cliErrorMessage {
                _ = try parse(["quantize", m] + args, as: QuantizeCommand.self).render()
            }
            #expect(message != nil && message?.contains("\n") == false, "\(kind) \(args): \(message ?? "no error")")
            #expect(!FileManager.default.fileExists(atPath: dir), "\(kind) \(args): wrote \(dir)")
            #expect(!FileManager.default.fileExists(atPath: single), "\(kind) \(args): wrote \(single)")
        }
        if kind == "mlp" {  // exact refuses the second (deeper) model only after rtn has run: still nothing written
            let deep = resources + "/models/digits_mlp_64_64_32_10.safetensors"
            let message = cliErrorMessage {
                _ = try parse(["quantize", deep, "--formats", "e4m3", "--methods", "rtn,exact", "-o", dir],
                              as: QuantizeCommand.self).render()
            }
            #expect(message?.contains("one hidden layer") == true, "\(message ?? "no error")")
            #expect(!FileManager.default.fileExists(atPath: dir))
        }
    }

    /// Issue #18, item 3: the one-line summaries `scalequant --help` lists name every method of the catalog
    /// (quantize) and graph specs (pathnorm).
    @Test func helpIsCurrent() {
        let quantize = QuantizeCommand.configuration.abstract
        for name in QuantizationMethodCatalog.names(graphs: false) {
            #expect(quantize.contains(name), "quantize's summary lacks \(name): \(quantize)")
        }
        #expect(PathnormCommand.configuration.abstract.contains("graph spec"))
    }
}
