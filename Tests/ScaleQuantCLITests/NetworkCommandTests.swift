import Foundation
import Testing
import ScaleQuant
@testable import ScaleQuantCLI

@Suite struct NetworkCommandTests {
    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sq-cli-\(UInt64.random(in: 0...UInt64.max))-\(name)").path
    }

    /// A seeded random perceptron with float32 values, written with `nn.Sequential` names.
    func writeModel(_ widths: [Int], ext: String = "safetensors") throws -> String {
        let path = temp("model.\(ext)")
        let random = GraphNetwork.randomPerceptron(widths: widths, seed: 4)
        let linear = stride(from: 0, to: random.nodes.count, by: 2).map { random.nodes[$0] }  // nodes 0, 2, 4, …
        let net = try GraphNetwork.perceptron(widths: widths, weights: linear.map { $0.weight.map { Double(Float($0)) } },
                                              biases: linear.map { $0.bias.map { Double(Float($0)) } })
        try net.save(tensorFile: path, layout: .sequential(layers: widths.count - 1, dtype: .float32))
        return path
    }

    @Test func pathnormMatchesLibrary() throws {
        let path = try writeModel([4, 6, 3])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try parse(["pathnorm", path, "--q", "2", "--json"], as: PathnormCommand.self).render()
        let obj = try #require(try jsonObject(text) as? [String: Any])
        let net = try GraphNetwork.load(tensorFile: path).network
        #expect(net.perceptronWidths == [4, 6, 3])
        #expect(obj["path_norm"] as? Double == (try GraphPathLifting.pathNorm(net, q: 2)))
    }

    @Test func quantizeWritesModelAndMetrics() throws {
        let path = try writeModel([4, 8, 6, 3])
        let out = temp("q.safetensors"), data = temp("x.npy")
        defer { for p in [path, out, data] { try? FileManager.default.removeItem(atPath: p) } }
        var rng = SeededGenerator(seed: 1)
        try NPY.write(try NDArray(shape: [20, 4], values: rng.gaussians(80)), to: data)
        var metrics: [String: Double] = [:]
        for method in ["rtn", "cle", "l2r", "cd"] {
            let text = try parse(["quantize", path, "--format", "e4m3", "--method", method, "-o", out, "--data", data,
                                  "--json"], as: QuantizeCommand.self).render()
            let obj = try #require(try jsonObject(text) as? [String: Any])
            metrics[method] = try #require(obj["l2_path_metric"] as? Double)
            #expect(obj["certified_output_bound"] as? Double != nil)
            #expect(obj["output_relative_error"] as? Double != nil)
            let file = try SafeTensorsFile.read(out)
            #expect(file.metadata["method"] == method)
            #expect(file.metadata["scalings"] != nil)
            #expect(file["0.weight"]?.dtype == .float8E4M3FN)
            let cmp = try parse(["compare", path, out, "--json"], as: CompareCommand.self).render()
            let c = try #require(try jsonObject(cmp) as? [String: Any])
            let m = try #require(c["l2_path_metric"] as? Double)
            #expect(abs(m - metrics[method]!) <= 1e-12 * m)
        }
        #expect(metrics["cd"]! <= metrics["l2r"]! * (1 + 1e-12))
        #expect(metrics["cd"]! < metrics["rtn"]!)
    }

    @Test func errors() throws {
        let path = try writeModel([3, 4, 4, 2], ext: "npz")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let exact = cliErrorMessage {
            _ = try parse(["quantize", path, "--format", "e2m1", "--method", "exact", "-o", temp("x.npz")],
                          as: QuantizeCommand.self).render()
        }
        #expect(exact?.contains("cd") == true)
        let overwrite = cliErrorMessage {
            _ = try parse(["quantize", path, "--format", "e2m1", "--method", "rtn", "-o", path], as: QuantizeCommand.self).render()
        }
        #expect(overwrite?.contains("overwrite") == true)
        let method = cliErrorMessage {
            _ = try parse(["quantize", path, "--format", "e2m1", "--method", "foo", "-o", temp("y.npz")],
                          as: QuantizeCommand.self).render()
        }
        #expect(method?.contains("unknown method") == true)
    }

    @Test func integerFormatsGetPerLayerSteps() throws {
        let path = try writeModel([4, 8, 3])
        let out = temp("q.npz")
        defer { for p in [path, out] { try? FileManager.default.removeItem(atPath: p) } }
        let text = try parse(["quantize", path, "--format", "int8", "--method", "exact", "-o", out, "--json"],
                             as: QuantizeCommand.self).render()
        let obj = try #require(try jsonObject(text) as? [String: Any])
        #expect(try #require(obj["relative_l2_path_metric"] as? Double) < 0.05)
    }
}

@Suite struct NetworksExperimentCommandTests {
    @Test func tinyExperimentCSV() throws {
        let text = try parse(["experiment", "networks", "--architectures", "4-6-3,3-4-4-2", "--formats", "e4m3,int4",
                              "--samples", "20", "--max-sweeps", "3", "--no-digits"], as: NetworksExperimentCommand.self).render()
        let lines = text.split(separator: "\n")
        #expect(lines.first?.hasPrefix("model,format,method,bits_per_weight,rescaled,l2_path_metric") == true)
        // 4-6-3: 8 default methods; 3-4-4-2: 7 (no exact); each on 2 formats, with and without rescaling.
        #expect(lines.count == 1 + (8 + 7) * 2 * 2)
        var byKey: [String: Double] = [:]
        for line in lines.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            byKey[f[0] + f[1] + f[2] + f[4]] = Double(f[5])
            // Bits per weight include the scales: int4 has a float32 step per layer, rtn-channel one per channel.
            if f[0] == "4-6-3" && f[1] == "int4" {
                let expected = f[2] == "rtn-channel" ? 4 + 32.0 * 9 / 42 : 4 + 32.0 * 2 / 42
                #expect(abs(Double(f[3])! - expected) < 1e-12, "\(f[2])")
            }
        }
        for m in ["l2r", "cd", "exact"] {
            let a = try #require(byKey["4-6-3e4m3" + m + "no"]), b = try #require(byKey["4-6-3e4m3" + m + "yes"])
            #expect(abs(a - b) <= 1e-12 * a)
        }
    }

    @Test("the bundled digits MLPs come with accuracy, and cd beats RTN and CLE on them")
    func digitsRows() throws {
        let text = try parse(["experiment", "networks", "--architectures", "", "--formats", "int4",
                              "--methods", "rtn,cle,cd", "--max-sweeps", "3"], as: NetworksExperimentCommand.self).render()
        let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 2 * 3 * 2)
        for model in ["digits_mlp_64_32_10", "digits_mlp_64_64_32_10"] {
            let mine = rows.filter { $0[0] == model && $0[4] == "no" }
            #expect(mine.count == 3)
            let metric = Dictionary(uniqueKeysWithValues: mine.map { ($0[2], Double($0[5])!) })
            #expect(metric["cd"]! <= metric["rtn"]! && metric["cd"]! <= metric["cle"]!, "\(model): \(metric)")
            for r in mine {
                let accuracy = try #require(Double(r[8])), float = try #require(Double(r[9]))
                #expect(accuracy > 0.5 && accuracy <= 1 && float > 0.97, "\(r)")
            }
        }
    }
}
