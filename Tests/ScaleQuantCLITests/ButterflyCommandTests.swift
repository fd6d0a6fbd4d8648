import Foundation
import Testing
import ScaleQuant
@testable import ScaleQuantCLI

@Suite("scalequant butterfly and experiment butterfly")
struct ButterflyCommandTests {
    /// A fresh temporary directory.
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "bf-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func run(_ args: [String]) throws -> String {
        try parse(["butterfly"] + args, as: ButterflyCommand.self).render()
    }

    @Test func randomJSONHasTheKeys() throws {
        let text = try run(["--random", "16", "--seed", "1", "--format", "e4m3", "--method", "l2r", "--json"])
        let obj = try #require(try jsonObject(text) as? [String: Any])
        for key in ["relative_error", "rtn_relative_error", "seconds", "size", "method", "format"] {
            #expect(obj[key] != nil, "missing \(key)")
        }
        let err = try #require(obj["relative_error"] as? Double), rtn = try #require(obj["rtn_relative_error"] as? Double)
        #expect(err > 0 && err < rtn)
        #expect(obj["factorization_error"] == nil)
        #expect(try run(["--random", "16", "--format", "e4m3", "--method", "pairwise"]).contains("relative_error: "))
    }

    @Test func matrixAndFactorsRoundTrip() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let chain = try ButterflyChain.random(16, seed: 3)
        let a = try NDArray(shape: [16, 16], values: chain.dense())
        let mPath = dir + "/a.npy", fPath = dir + "/f.npz", qPath = dir + "/q.npz"
        try NPY.write(a, to: mPath)
        try NPZ.write(chain.namedArrays(), to: fPath)
        let m = try #require(try jsonObject(try run(["--matrix", mPath, "--format", "p=4", "--method", "r2l", "--json"]))
                             as? [String: Any])
        #expect(try #require(m["factorization_error"] as? Double) < 1e-10)
        let f = try #require(try jsonObject(try run(["--factors", fPath, "--format", "p=4", "--method", "l2r", "--json",
                                                     "--out", qPath])) as? [String: Any])
        let direct = try ButterflyQuantizer.quantize(chain, grid: FloatFormat.idealized(precision: 4), method: .leftToRight)
        #expect(f["relative_error"] as? Double == ButterflyMetrics.relativeError(chain, direct))
        let back = try ButterflyChain(namedArrays: NPZ.read(qPath))
        #expect(back == direct)
        #expect(back.factors.map { $0.pattern.0 } == [1, 2, 4, 8])
        // Never over an input.
        #expect(cliErrorMessage { _ = try run(["--factors", fPath, "--format", "e4m3", "--method", "l2r", "--out", fPath]) }
                != nil)
    }

    @Test func badInputGivesOneLineErrors() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try NPY.write(try NDArray(shape: [2, 4], values: [Double](repeating: 1, count: 8)), to: dir + "/rect.npy")
        try NPY.write(try NDArray(shape: [3, 3], values: [Double](repeating: 1, count: 9)), to: dir + "/three.npy")
        try NPY.write(try NDArray(shape: [2, 2], values: [1, .nan, 2, 3]), to: dir + "/nan.npy")
        try NPZ.write([("factor_0", try NDArray(shape: [2, 2], values: [1, 2, 3, 4]))], to: dir + "/flat.npz")
        try NPZ.write([("factor_0", try NDArray(shape: [1, 2, 2, 1], values: [1, 2, 3, 4])),
                       ("factor_1", try NDArray(shape: [1, 3, 3, 1], values: [Double](repeating: 1, count: 9)))],
                      to: dir + "/chain.npz")
        let cases: [([String], String)] = [
            (["--random", "12", "--format", "e4m3", "--method", "l2r"], "power of two"),
            (["--random", "16", "--format", "e4m3", "--method", "zigzag"], "unknown method"),
            (["--random", "16", "--format", "nosuchformat", "--method", "l2r"], ""),
            (["--format", "e4m3", "--method", "l2r"], "exactly one"),
            (["--random", "16", "--factors", dir + "/chain.npz", "--format", "e4m3", "--method", "l2r"], "exactly one"),
            (["--matrix", dir + "/rect.npy", "--format", "e4m3", "--method", "l2r"], "not square"),
            (["--matrix", dir + "/three.npy", "--format", "e4m3", "--method", "l2r"], "power of two"),
            (["--matrix", dir + "/nan.npy", "--format", "e4m3", "--method", "l2r"], "NaN"),
            (["--matrix", dir + "/missing.npy", "--format", "e4m3", "--method", "l2r"], "cannot read"),
            (["--factors", dir + "/flat.npz", "--format", "e4m3", "--method", "l2r"], "4-D"),
            (["--factors", dir + "/chain.npz", "--format", "e4m3", "--method", "l2r"], "rows"),
        ]
        for (args, fragment) in cases {
            let message = try #require(cliErrorMessage { _ = try run(args) }, "\(args) did not fail")
            #expect(!message.contains("\n"))
            #expect(fragment.isEmpty || message.contains(fragment), "\(args): \(message)")
        }
    }

    @Test func experimentWritesTableCSVAndSVG() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cmd = try parse(["experiment", "butterfly", "--sizes", "16", "--precisions", "3-4", "--draws", "2",
                             "--dct-sizes", "16", "--dct-formats", "e4m3", "--out", dir], as: ExperimentButterflyCommand.self)
        let text = try cmd.render()
        #expect(text.contains("l2r") && text.contains("DCT-II"))
        let csv = try String(contentsOfFile: dir + "/butterfly_random.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 2 * 4)
        let svg = try String(contentsOfFile: dir + "/butterfly_N16.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline") && svg.contains("pairwise"))
        #expect(FileManager.default.fileExists(atPath: dir + "/butterfly_dct.csv"))
        #expect(cliErrorMessage { _ = try parse(["experiment", "butterfly", "--sizes", "12"],
                                                as: ExperimentButterflyCommand.self).render() } != nil)
    }
}
