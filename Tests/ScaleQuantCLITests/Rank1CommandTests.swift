import Foundation
import Testing
@testable import ScaleQuant
@testable import ScaleQuantCLI

@Suite("CLI: rank1 and experiment rank1")
struct Rank1CommandTests {
    @Test func jsonKeysAndValues() throws {
        let text = try parse(["rank1", "--random", "6", "5", "--seed", "4", "--format", "e4m3", "--json"],
                             as: Rank1Command.self).render()
        let obj = try #require(try jsonObject(text) as? [String: Any])
        for key in ["relative_error", "rtn_relative_error", "lambda", "mu", "pieces", "seconds", "x_hat", "y_hat"] {
            #expect(obj[key] != nil, "missing \(key)")
        }
        let err = try #require(obj["relative_error"] as? Double), rtn = try #require(obj["rtn_relative_error"] as? Double)
        #expect(err <= rtn)
        let xh = try #require(obj["x_hat"] as? [Double])
        #expect(xh.count == 6)
        let e4m3 = FormatCatalog.preset(named: "e4m3")!
        #expect(xh.allSatisfy { e4m3.round($0) == $0 })
        // Seconds to the microsecond (issue #18: not 0.005620890000000001): a whole number of microseconds.
        let seconds = try #require(obj["seconds"] as? Double)
        #expect(seconds >= 0 && abs(seconds * 1e6 - (seconds * 1e6).rounded()) < 1e-6, "\(seconds)")
    }

    @Test func filesAndOutput() throws {
        let dir = NSTemporaryDirectory() + "sq-rank1-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try NPY.write(NDArray(vector: [1.5, -3, 0.25]), to: dir + "/x.npy")
        try "2 4\n# comment\n-1\n".write(toFile: dir + "/y.txt", atomically: true, encoding: .utf8)
        _ = try parse(["rank1", "--x", dir + "/x.npy", "--y", dir + "/y.txt", "--format", "e4m3", "--out", dir + "/o.npz"],
                      as: Rank1Command.self).render()
        let arrays = try NPZ.readDictionary(dir + "/o.npz")
        // x and y are on the grid already: the optimum is exact, so the written x̂ŷᵀ is xyᵀ (all products exact).
        let xh = try #require(arrays["x_hat"], "o.npz has \(arrays.keys.sorted())").values
        let yh = try #require(arrays["y_hat"], "o.npz has \(arrays.keys.sorted())").values
        #expect(xh.count == 3 && yh.count == 3)
        let x = [1.5, -3, 0.25], y = [2.0, 4, -1]
        #expect(xh.flatMap { a in yh.map { a * $0 } } == x.flatMap { a in y.map { a * $0 } }, "x̂ = \(xh), ŷ = \(yh)")
        // Refuses to write over an input.
        #expect(throws: CLIError.self) {
            try parse(["rank1", "--x", dir + "/x.npy", "--y", dir + "/y.txt", "--format", "e4m3", "--out", dir + "/x.npy"],
                      as: Rank1Command.self).render()
        }
    }

    @Test func errors() throws {
        #expect(throws: CLIError.self) { try parse(["rank1", "--format", "e4m3"], as: Rank1Command.self).render() }
        #expect(throws: CLIError.self) {
            try parse(["rank1", "--random", "3", "--format", "e4m3"], as: Rank1Command.self).render()
        }
        #expect(throws: CLIError.self) {
            try parse(["rank1", "--random", "3", "3", "--format", "fp7"], as: Rank1Command.self).render()
        }
        #expect(throws: CLIError.self) {
            try parse(["rank1", "--random", "3", "3", "--format", "e4m3", "--method", "best"], as: Rank1Command.self).render()
        }
        #expect(throws: CLIError.self) {
            try parse(["rank1", "--x", "/nonexistent.npy", "--y", "/nonexistent.txt", "--format", "e4m3"],
                      as: Rank1Command.self).render()
        }
    }

    @Test func experimentWritesCSV() throws {
        let dir = NSTemporaryDirectory() + "sq-exp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = try parse(["experiment", "rank1", "--sizes", "2,8", "--precisions", "3", "--trials", "4", "--out", dir],
                             as: Rank1ExperimentCommand.self).render()
        #expect(text.contains("ratio of means"))
        let csv = try String(contentsOfFile: dir + "/rank1.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 3)
        let svg = try String(contentsOfFile: dir + "/rank1.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        #expect(svg.contains("m = n = 8"))
    }
}
