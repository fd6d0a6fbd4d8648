import Foundation
import Testing
import ScaleQuant
@testable import ScaleQuantCLI

@Suite struct GraphCommandTests {
    static var resources: String { DemoCommand.resourcesDirectory() }
    static var cnn: String { resources + "/models/digits_cnn.json" }
    static var resnet: String { resources + "/models/digits_resnet.json" }
    static var testX: String { resources + "/data/digits_test_x.npy" }
    static var testY: String { resources + "/data/digits_test_y.npy" }

    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sq-graph-\(UInt64.random(in: 0...UInt64.max))-\(name)").path
    }

    @Test func quantizeWritesGraphAndMetrics() throws {
        let out = temp("q.json"), weights = String(out.dropLast(5)) + ".safetensors"
        defer { for p in [out, weights] { try? FileManager.default.removeItem(atPath: p) } }
        var metrics: [String: Double] = [:]
        for method in ["rtn", "cle", "cd"] {
            let text = try parse(["quantize", Self.cnn, "--format", "int4", "--method", method, "-o", out,
                                  "--eval", Self.testX, Self.testY, "--max-sweeps", "2", "--json"],
                                 as: QuantizeCommand.self).render()
            let obj = try #require(try jsonObject(text) as? [String: Any])
            metrics[method] = try #require(obj["l2_path_metric"] as? Double)
            #expect(obj["certified_output_bound"] as? Double != nil)
            #expect(obj["relative_l2_path_metric"] as? Double != nil)
            let accuracy = try #require(obj["accuracy"] as? Double)
            #expect(accuracy > 0.8 && (obj["float_accuracy"] as? Double ?? 0) > 0.97)
            #expect(obj["folded_batch_norm"] as? Bool == false)
            let file = try SafeTensorsFile.read(weights)
            #expect(file.metadata["method"] == method && file.metadata["format"] == "int4")
            let saved = try GraphNetwork.load(spec: URL(fileURLWithPath: out))
            #expect(saved.nodes.count == 8)
            let cmp = try parse(["compare", Self.cnn, out, "--json", "--data", Self.testX], as: CompareCommand.self).render()
            let c = try #require(try jsonObject(cmp) as? [String: Any])
            let m = try #require(c["l2_path_metric"] as? Double)
            #expect(abs(m - metrics[method]!) <= 1e-9 * m, "\(method): \(m) vs \(metrics[method]!)")
            #expect(c["output_relative_error"] as? Double != nil)
        }
        #expect(metrics["cd"]! <= metrics["rtn"]! && metrics["cd"]! <= metrics["cle"]! * (1 + 1e-9))
    }

    @Test("quantize --method data on a graph: needs --calib, lowers the calibration error below its start")
    func quantizeDataAware() throws {
        let out = temp("d.json"), weights = String(out.dropLast(5)) + ".safetensors", calib = temp("calib.npy")
        defer { for p in [out, weights, calib] { try? FileManager.default.removeItem(atPath: p) } }
        let all = try NPY.read(Self.resources + "/data/digits_calib_x.npy")
        try NPY.write(try NDArray(shape: [12, 1, 8, 8], values: Array(all.values.prefix(12 * 64))), to: calib)
        let text = try parse(["quantize", Self.cnn, "--format", "e3m2", "--method", "data", "--calib", calib,
                              "-o", out, "--max-sweeps", "1", "--json"], as: QuantizeCommand.self).render()
        let obj = try #require(try jsonObject(text) as? [String: Any])
        let start = try #require(obj["start_calibration_squared_error"] as? Double)
        let final = try #require(obj["calibration_squared_error"] as? Double)
        #expect(final < start)
        #expect(obj["calibration_samples"] as? Int == 12 && obj["sweeps"] as? Int == 1)
        #expect(["cd", "rtn", "rtn-max", "cle"].contains(obj["start"] as? String ?? ""))
        // The saved graph reproduces the printed calibration error.
        let saved = try GraphNetwork.load(spec: URL(fileURLWithPath: out))
        let reference = try GraphNetwork.load(spec: URL(fileURLWithPath: Self.cnn))
        let x = Array(all.values.prefix(12 * 64))
        let e = zip(try reference.forward(x, batch: 12), try saved.forward(x, batch: 12))
            .reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        #expect(abs(e - final) <= 1e-9 * final)
        let missing = cliErrorMessage {
            _ = try parse(["quantize", Self.cnn, "--format", "e3m2", "--method", "data", "-o", temp("m.json")],
                          as: QuantizeCommand.self).render()
        }
        #expect(missing?.contains("--calib") == true)
        let unused = cliErrorMessage {
            _ = try parse(["quantize", Self.cnn, "--format", "e3m2", "--method", "cd", "--calib", calib,
                           "-o", temp("u.json")], as: QuantizeCommand.self).render()
        }
        #expect(unused?.contains("calibrated methods only") == true)
        let wrongShape = temp("bad.npy")
        defer { try? FileManager.default.removeItem(atPath: wrongShape) }
        try NPY.write(try NDArray(shape: [3, 7], values: [Double](repeating: 0.5, count: 21)), to: wrongShape)
        let shape = cliErrorMessage {
            _ = try parse(["quantize", Self.cnn, "--format", "e3m2", "--method", "data", "--calib", wrongShape,
                           "-o", temp("s.json")], as: QuantizeCommand.self).render()
        }
        #expect(shape?.contains("expected") == true)
    }

    @Test("quantize a graph with several methods and formats: one spec per pair, summary.json, --report")
    func quantizeGraphRuns() throws {
        let dir = temp("runs"), report = temp("report")
        defer { for p in [dir, report] { try? FileManager.default.removeItem(atPath: p) } }
        let text = try parse(["quantize", Self.cnn, "--methods", "rtn,cd", "--formats", "e4m3,int4", "-o", dir,
                              "--eval", Self.testX, Self.testY, "--max-sweeps", "1", "--report", report, "--json"],
                             as: QuantizeCommand.self).render()
        let obj = try #require(try jsonObject(text) as? [String: Any])
        let results = try #require(obj["results"] as? [[String: Any]])
        #expect(results.count == 4)
        #expect(results.map { "\($0["method"]!) \($0["format"]!)" } == ["rtn e4m3", "cd e4m3", "rtn int4", "cd int4"])
        for r in results {
            let path = try #require(r["output"] as? String)
            let saved = try GraphNetwork.load(spec: URL(fileURLWithPath: path))
            let metric = try GraphPathLifting.l2PathMetric(
                try GraphNetwork.load(spec: URL(fileURLWithPath: Self.cnn)).foldingBatchNorm(), saved)
            #expect(abs(metric - (r["l2_path_metric"] as? Double ?? -1)) <= 1e-12 * metric)
            #expect((r["accuracy"] as? Double ?? 0) > 0.8)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/summary.json"))
        #expect(FileManager.default.fileExists(atPath: report + "/report.html"))
        // The single run gives the same numbers.
        let one = temp("one.json")
        defer { for p in [one, String(one.dropLast(5)) + ".safetensors"] { try? FileManager.default.removeItem(atPath: p) } }
        let single = try parse(["quantize", Self.cnn, "--method", "cd", "--format", "int4", "-o", one,
                                "--max-sweeps", "1", "--json"], as: QuantizeCommand.self).render()
        let s = try #require(try jsonObject(single) as? [String: Any])
        #expect(s["l2_path_metric"] as? Double == results[3]["l2_path_metric"] as? Double)
        let toFile = cliErrorMessage {
            _ = try parse(["quantize", Self.cnn, "--methods", "rtn,cd", "--format", "e4m3", "-o", temp("x.json")],
                          as: QuantizeCommand.self).render()
        }
        #expect(toFile?.contains("directory") == true)
        let unknown = cliErrorMessage {
            _ = try parse(["quantize", Self.cnn, "--methods", "rtn,l2r", "--format", "e4m3", "-o", temp("d")],
                          as: QuantizeCommand.self).render()
        }
        #expect(unknown?.contains("l2r") == true)
    }

    @Test("a graph spec of a perceptron quantizes exactly like its tensor file (the dense-chain solvers run on both)")
    func perceptronSpecMatchesTensorFile() throws {
        let mlp = Self.resources + "/models/digits_mlp_64_32_10.safetensors"
        let spec = temp("mlp.json"), calib = temp("calib.npy")
        let outputs = [temp("a.json"), temp("b.safetensors")]
        defer {
            for p in [spec, calib] + outputs + outputs.map({ String($0.dropLast(5)) + ".safetensors" }) {
                try? FileManager.default.removeItem(atPath: p)
            }
        }
        let net = try GraphNetwork.load(tensorFile: mlp).network
        #expect(net.perceptronWidths == [64, 32, 10])
        try net.save(spec: URL(fileURLWithPath: spec))
        #expect(try GraphNetwork.load(spec: URL(fileURLWithPath: spec)) == net)
        let all = try NPY.read(Self.resources + "/data/digits_calib_x.npy")
        try NPY.write(try NDArray(shape: [12, 64], values: Array(all.values.prefix(12 * 64))), to: calib)
        for method in ["rtn", "cle", "cd", "data"] {
            var metric: [Double] = []
            for (model, out) in zip([spec, mlp], outputs) {
                let text = try parse(["quantize", model, "--format", "int4", "--method", method, "-o", out,
                                      "--max-sweeps", "2", "--json"] + (method == "data" ? ["--calib", calib] : []),
                                     as: QuantizeCommand.self).render()
                let obj = try #require(try jsonObject(text) as? [String: Any])
                metric.append(try #require(obj["l2_path_metric"] as? Double))
            }
            #expect(metric[0] == metric[1], "\(method): graph spec \(metric[0]), tensor file \(metric[1])")
        }
    }

    @Test func resnetIsFoldedAndPathnormWorks() throws {
        let out = temp("r.json"), weights = String(out.dropLast(5)) + ".safetensors"
        defer { for p in [out, weights] { try? FileManager.default.removeItem(atPath: p) } }
        let text = try parse(["quantize", Self.resnet, "--format", "e4m3", "--method", "rtn", "-o", out, "--json"],
                             as: QuantizeCommand.self).render()
        let obj = try #require(try jsonObject(text) as? [String: Any])
        #expect(obj["folded_batch_norm"] as? Bool == true)
        #expect(!(try GraphNetwork.load(spec: URL(fileURLWithPath: out))).hasBatchNorm)
        let norm = try parse(["pathnorm", Self.resnet, "--q", "2", "--json"], as: PathnormCommand.self).render()
        let n = try #require(try jsonObject(norm) as? [String: Any])
        let expected = try GraphPathLifting.pathNorm(
            GraphNetwork.load(spec: URL(fileURLWithPath: Self.resnet)).foldingBatchNorm(), q: 2)
        let printed = try #require(n["path_norm"] as? Double)
        #expect(abs(printed - expected) <= 1e-14 * expected)
    }

    @Test func graphErrors() throws {
        let exact = cliErrorMessage {
            _ = try parse(["quantize", Self.cnn, "--format", "e4m3", "--method", "exact", "-o", temp("x.json")],
                          as: QuantizeCommand.self).render()
        }
        #expect(exact?.contains("cd") == true)
        let overwrite = cliErrorMessage {
            _ = try parse(["quantize", Self.cnn, "--format", "e4m3", "--method", "rtn", "-o", Self.cnn],
                          as: QuantizeCommand.self).render()
        }
        #expect(overwrite?.contains("overwrite") == true)
        let notJSON = cliErrorMessage {
            _ = try parse(["quantize", Self.cnn, "--format", "e4m3", "--method", "rtn", "-o", temp("x.safetensors")],
                          as: QuantizeCommand.self).render()
        }
        #expect(notJSON?.contains(".json") == true)
        let mixed = cliErrorMessage {
            _ = try parse(["compare", Self.cnn, Self.resources + "/models/digits_mlp_64_32_10.safetensors"],
                          as: CompareCommand.self).render()
        }
        // One network model: a spec and a tensor file compare like two graphs, here of different structures.
        #expect(mixed?.contains("different structures") == true, "\(mixed ?? "no error")")
        let structure = cliErrorMessage {
            _ = try parse(["compare", Self.cnn, Self.resnet], as: CompareCommand.self).render()
        }
        #expect(structure?.contains("different") == true)
    }

    @Test("experiment graphs: reduced run, cd no worse than RTN and CLE, rescaling immunity of cle and cd")
    func experimentCSV() throws {
        let text = try parse(["experiment", "graphs", "--models", "digits_cnn", "--formats", "int4,e3m2",
                              "--methods", "rtn,cle,cd", "--max-sweeps", "2"], as: GraphsExperimentCommand.self).render()
        let lines = text.split(separator: "\n")
        let header = "model,format,method,bits_per_weight,rescaled,l2_path_metric,relative_l2_path_metric,output_relative_error,"
            + "accuracy,float_accuracy,sweeps,seconds"
        #expect(lines.first.map(String.init) == header)
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 2 * 3 * 2)
        var metric: [String: Double] = [:]
        for r in rows {
            metric[r[1] + r[2] + r[4]] = Double(r[5])
            #expect(Double(r[8]) != nil && Double(r[9]) != nil && Double(r[3]) != nil, "\(r)")
        }
        for f in ["int4", "e3m2"] {
            #expect(metric[f + "cdno"]! <= metric[f + "rtnno"]! && metric[f + "cdno"]! <= metric[f + "cleno"]! * (1 + 1e-9))
            for m in ["cle", "cd"] {
                let a = metric[f + m + "no"]!, b = metric[f + m + "yes"]!
                #expect(abs(a - b) <= 1e-12 * a, "\(f) \(m): \(a) vs \(b)")
            }
            #expect(abs(metric[f + "rtnno"]! - metric[f + "rtnyes"]!) > 1e-6 * metric[f + "rtnno"]!)
        }
        let calib = temp("calib.npy")
        defer { try? FileManager.default.removeItem(atPath: calib) }
        try NPY.write(try NDArray(shape: [6, 2, 5, 5], values: (0..<300).map { Double($0 % 17) / 17 }), to: calib)
        let spec = temp("tiny.json")
        defer { for p in [spec, String(spec.dropLast(5)) + ".safetensors"] { try? FileManager.default.removeItem(atPath: p) } }
        try tinyGraph().save(spec: URL(fileURLWithPath: spec))
        let data = try parse(["experiment", "graphs", "--models", "", "--model", spec, "--calib", calib,
                              "--formats", "e3m2", "--methods", "cd,data", "--max-sweeps", "1", "--samples", "20"],
                             as: GraphsExperimentCommand.self).render()
        let dataRows = data.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(dataRows.map { $0[2] } == ["cd", "cd", "data", "data"])
        // 6 calibration rows are fewer than the linear node's 13 columns: no GPTQ candidate, the search alone.
        #expect(dataRows[2][5] == dataRows[3][5], "data must be immune to rescaling here: \(dataRows)")
    }

    /// A small conv → ReLU → pool → linear graph on [2, 5, 5] inputs, seeded.
    func tinyGraph() throws -> GraphNetwork {
        var rng = SeededGenerator(seed: 5)
        let conv = Conv2DGeometry(inChannels: 2, outChannels: 3, kernel: (3, 3), padding: (1, 1))
        return try GraphNetwork(inputShape: [2, 5, 5], nodes: [
            .conv2d("c", input: "input", weight: rng.gaussians(54), bias: rng.gaussians(3), geometry: conv),
            .relu("r", input: "c"),
            .avgPool2d("p", input: "r", kernel: (2, 2), stride: (2, 2)),
            .flatten("f", input: "p"),
            .linear("fc", input: "f", weight: rng.gaussians(24), bias: rng.gaussians(2), inFeatures: 12, outFeatures: 2),
        ])
    }
}
