import Foundation
import Testing
@testable import ScaleQuant

// Golden results of every network quantization method, recorded from the code as it was before the MLP and graph
// stacks were merged into one network model (issue #13), and kept after it: the merged code must give the same
// quantized tensors bit for bit and the same metrics to 1e-12 relative.
//
// The file Fixtures/golden/quantization.tsv has one line per case:
//     case  digest  l2_path_metric  relative_l2_path_metric  sweeps  held_output_error
// where `digest` is the FNV-1a 64-bit hash of the bit patterns of every quantized weight and bias (layer/node
// order, weights then biases), or `error: <message>` for a method that refuses the model, and held_output_error
// is Σ‖f(x) − f̂(x)‖² / Σ‖f(x)‖² over the held inputs.
//
// Regenerate (only when a change of results is intended and explained): run
//     SCALEQUANT_RECORD_GOLDEN=1 swift test --filter QuantizationGolden
// which writes mlp.part and graph.part beside the fixture (the test then fails, to make the rewrite visible); the
// fixture is their concatenation under a comment line. Slow cases (``goldenSlowCases``) run only with
// SCALEQUANT_GOLDEN_ALL=1, as in `.ci/run`; the slowest (``goldenManualCases``) only with SCALEQUANT_GOLDEN_ALL=full.

/// One golden line.
struct GoldenLine: Equatable {
    var key: String
    var digest: String
    var metrics: [Double]
    var sweeps: Int

    var text: String {
        ([key, digest] + metrics.map { "\($0)" } + ["\(sweeps)"]).joined(separator: "\t")
    }

    init(key: String, digest: String, metrics: [Double], sweeps: Int) {
        self.key = key; self.digest = digest; self.metrics = metrics; self.sweeps = sweeps
    }

    init?(_ line: Substring) {
        let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 6, let s = Int(f[5]) else { return nil }
        key = f[0]; digest = f[1]; sweeps = s
        metrics = f[2...4].map { Double($0) ?? .nan }
    }
}

/// Σ‖a − b‖² / Σ‖a‖² over all outputs.
func squaredRelativeError(_ a: [Double], _ b: [Double]) -> Double {
    var num = 0.0, den = 0.0
    for (x, y) in zip(a, b) { num += (x - y) * (x - y); den += x * x }
    return den > 0 ? num / den : 0
}

/// The MLP cases: the two bundled digits MLPs and two seeded random ones, each with 16 calibration inputs (the MLP
/// `data` method costs O(samples) per breakpoint; 16 keeps the debug build's test fast) and held inputs.
struct GoldenMLP {
    var name: String
    var network: GraphNetwork
    var calibration: [Double]
    var calibrationCount: Int
    var held: [Double]
    var heldCount: Int

    static func all() throws -> [GoldenMLP] {
        let calib = try NPY.read(resource("data/digits_calib_x.npy").path)
        let test = try digitsTestSplit()
        var out: [GoldenMLP] = []
        for file in ["digits_mlp_64_32_10", "digits_mlp_64_64_32_10"] {
            let net = try GraphNetwork.load(tensorFile: resource("models/\(file).safetensors").path).network
            out.append(GoldenMLP(name: file, network: net, calibration: Array(calib.values.prefix(16 * 64)),
                                 calibrationCount: 16, held: test.x, heldCount: test.x.count / 64))
        }
        for (widths, seed) in [([16, 32, 32, 10], UInt64(11)), ([12, 24, 6], UInt64(12))] {
            let net = GraphNetwork.randomPerceptron(widths: widths, seed: seed)
            var rng = SeededGenerator(seed: seed + 100)
            let c = rng.gaussians(16 * widths[0]), h = rng.gaussians(128 * widths[0])
            out.append(GoldenMLP(name: "random_" + widths.map(String.init).joined(separator: "_"), network: net,
                                 calibration: c, calibrationCount: 16, held: h, heldCount: 128))
        }
        return out
    }
}

/// Prints a case's time to standard error when recording or with SCALEQUANT_GOLDEN_TIMES=1 (to keep the suite fast).
func goldenTiming(_ key: String, _ t0: UInt64) {
    let env = ProcessInfo.processInfo.environment
    guard env["SCALEQUANT_RECORD_GOLDEN"] != nil || env["SCALEQUANT_GOLDEN_TIMES"] != nil else { return }
    let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    FileHandle.standardError.write("golden \(key) \(s) s\n".data(using: .utf8)!)
}

/// Cases that take more than 3 s each in a debug build (recorded timings, up to 160 s): run only with
/// SCALEQUANT_GOLDEN_ALL=1 (which `.ci/run` sets) or when recording.
let goldenSlowCases: Set<String> = [
    "digits_mlp_64_64_32_10/e4m3/data", "digits_mlp_64_64_32_10/int4/data", "digits_mlp_64_32_10/int8/data",
    "digits_mlp_64_32_10/e4m3/data", "digits_resnet/e2m1/data", "digits_resnet/e4m3/data", "digits_resnet/int4/data",
    "digits_resnet/int8/data", "digits_resnet/e2m1/cd", "digits_resnet/e4m3/cd", "digits_resnet/int4/cd",
    "digits_resnet/int8/cd", "digits_cnn/int8/data", "digits_cnn/e4m3/data", "random_16_32_32_10/int8/data",
    "random_16_32_32_10/e4m3/data", "random_12_24_6/int8/data", "digits_mlp_64_64_32_10/int8/data",
]

/// Of those, the cases over 30 s each in a debug build (MLP `data` at int8/e4m3, 5.5 min together): run only with
/// SCALEQUANT_GOLDEN_ALL=full (or when recording), so that CI stays short.
let goldenManualCases: Set<String> = [
    "digits_mlp_64_64_32_10/e4m3/data", "digits_mlp_64_64_32_10/int8/data", "digits_mlp_64_32_10/int8/data",
    "random_16_32_32_10/int8/data",
]

/// Whether to compute `key` in this run.
func goldenRuns(_ key: String) -> Bool {
    let env = ProcessInfo.processInfo.environment
    if env["SCALEQUANT_RECORD_GOLDEN"] != nil || env["SCALEQUANT_GOLDEN_ALL"] == "full" { return true }
    if goldenManualCases.contains(key) { return false }
    return !goldenSlowCases.contains(key) || env["SCALEQUANT_GOLDEN_ALL"] != nil
}

let goldenFormats = ["e2m1", "e4m3", "int4", "int8"]
let goldenMLPMethods = ["rtn", "cle", "exact", "l2r", "cd", "data"]
let goldenGraphMethods = ["rtn", "cle", "cd", "data"]

/// Computes every MLP golden line with the library as it is.
func computeMLPGolden() throws -> [GoldenLine] {
    var lines: [GoldenLine] = []
    for model in try GoldenMLP.all() {
        for format in goldenFormats {
            let grids = try GraphGridSpec(format: format)
            for method in goldenMLPMethods {
                let key = "\(model.name)/\(format)/\(method)"
                guard goldenRuns(key) else { continue }
                let t0 = DispatchTime.now().uptimeNanoseconds
                defer { goldenTiming(key, t0) }
                let result: GraphQuantizationResult
                do {
                    result = try GraphQuantizer.quantize(model.network, method: method, grids: grids,
                                                         calibration: (model.calibration, model.calibrationCount),
                                                         options: GraphCoordinateDescentOptions())
                } catch {
                    lines.append(GoldenLine(key: key, digest: "error: \(error)", metrics: [0, 0, 0], sweeps: 0))
                    continue
                }
                var h = fnv1a([])
                for node in result.network.nodes where node.operation.isAffine {
                    h = fnv1a(node.weight, h); h = fnv1a(node.bias, h)
                }
                let reference = try model.network.forward(model.held, batch: model.heldCount)
                let held = squaredRelativeError(reference, try result.network.forward(model.held, batch: model.heldCount))
                lines.append(GoldenLine(key: key, digest: String(h, radix: 16),
                                        metrics: [result.l2PathMetric, result.relativeL2PathMetric, held],
                                        sweeps: result.sweeps))
            }
        }
    }
    return lines
}

/// Computes every graph golden line (bundled CNN and ResNet; cd and data with capped sweeps so that the debug
/// build stays fast; the caps are part of the recorded case).
func computeGraphGolden() throws -> [GoldenLine] {
    let calib = try NPY.read(resource("data/digits_calib_x.npy").path)
    let test = try digitsTestSplit()
    let calibCount = 32, heldCount = 128
    let calibration = Array(calib.values.prefix(calibCount * 64)), held = Array(test.x.prefix(heldCount * 64))
    var lines: [GoldenLine] = []
    for file in ["digits_cnn", "digits_resnet"] {
        let graph = try GraphNetwork.load(spec: resource("models/\(file).json"))
        let reference = try graph.forward(held, batch: heldCount)
        for format in goldenFormats {
            let grids = try GraphGridSpec(format: format)
            for method in goldenGraphMethods {
                let key = "\(file)/\(format)/\(method)"
                guard goldenRuns(key) else { continue }
                let t0 = DispatchTime.now().uptimeNanoseconds
                defer { goldenTiming(key, t0) }
                var options = GraphCoordinateDescentOptions()
                options.maxSweeps = 2
                let result: GraphQuantizationResult
                if method == "data" {
                    var d = GraphDataAwareOptions(pathMetric: options)
                    d.maxSweeps = 1
                    result = try GraphDataAwareQuantizer.quantize(graph, grids: grids, calibration: calibration,
                                                                  count: calibCount, options: d).quantization
                } else {
                    let m = QuantizationMethod(rawValue: method)!
                    result = try GraphQuantizer.quantize(graph, method: m, grids: grids, options: options)
                }
                var h = fnv1a([])
                for node in result.network.nodes where node.operation.isAffine {
                    h = fnv1a(node.weight, h); h = fnv1a(node.bias, h)
                }
                let heldError = squaredRelativeError(reference, try result.network.forward(held, batch: heldCount))
                lines.append(GoldenLine(key: key, digest: String(h, radix: 16),
                                        metrics: [result.l2PathMetric, result.relativeL2PathMetric, heldError],
                                        sweeps: result.sweeps))
            }
        }
    }
    return lines
}

@Suite("Quantization golden results (recorded before the one-network-model refactor)")
struct QuantizationGoldenTests {
    /// Where recording writes (the source tree; the test bundle holds a copy).
    static let fixture = graphPackageRoot.appendingPathComponent("Tests/ScaleQuantTests/Fixtures/golden/quantization.tsv")

    /// The recorded lines (from the test bundle's copy); a missing or malformed fixture is a failure, not a skip.
    static func recorded() throws -> [String: GoldenLine] {
        let path = try TestFixtures.path("golden", "quantization.tsv")
        var out: [String: GoldenLine] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            guard let g = GoldenLine(line) else { throw FixtureError("\(path): malformed line \(line)") }
            out[g.key] = g
        }
        return out
    }

    func check(_ computed: [GoldenLine], prefix: String) throws {
        if ProcessInfo.processInfo.environment["SCALEQUANT_RECORD_GOLDEN"] != nil {
            let url = Self.fixture.deletingLastPathComponent().appendingPathComponent("\(prefix).part")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try (computed.map(\.text).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
            Issue.record("recorded \(computed.count) golden lines to \(url.path); merge them into quantization.tsv")
            return
        }
        let recorded = try Self.recorded()
        #expect(!computed.isEmpty)
        let computedKeys = Set(computed.map(\.key)), models = Set(computed.map { $0.key.split(separator: "/")[0] })
        for key in recorded.keys where models.contains(key.split(separator: "/")[0]) && goldenRuns(key)
            && !computedKeys.contains(key) {
            Issue.record("golden case \(key) was not computed")
        }
        for line in computed {
            guard let r = recorded[line.key] else { Issue.record("no golden line for \(line.key)"); continue }
            if line.key.hasSuffix("/data") { continue }  // checked below (issue #13's exception)
            if r.digest.hasPrefix("error:") {  // the method refused the model: it must still refuse (any wording)
                #expect(line.digest.hasPrefix("error:"), "\(line.key): recorded a refusal, got a result")
                continue
            }
            #expect(line.digest == r.digest, "\(line.key): quantized tensors differ")
            #expect(line.sweeps == r.sweeps, "\(line.key): sweeps \(line.sweeps) vs \(r.sweeps)")
            for (a, b) in zip(line.metrics, r.metrics) {
                #expect(abs(a - b) <= 1e-12 * max(abs(b), 1e-300), "\(line.key): metric \(a) vs recorded \(b)")
            }
        }
        // `data` may change only where one algorithm replaces another, and then never for the worse on held data.
        for line in computed where line.key.hasSuffix("/data") {
            guard let r = recorded[line.key] else { continue }
            if line.digest != r.digest {
                #expect(line.metrics[2] <= r.metrics[2] * (1 + 1e-12),
                        "\(line.key): held output error \(line.metrics[2]) is worse than the recorded \(r.metrics[2])")
            }
        }
    }

    @Test("MLPs: every method × e2m1/e4m3/int4/int8 on four MLPs matches the recorded results")
    func mlps() throws { try check(try computeMLPGolden(), prefix: "mlp") }

    @Test("Graphs: digits CNN and ResNet, rtn/cle/cd/data × four formats match the recorded results")
    func graphs() throws { try check(try computeGraphGolden(), prefix: "graph") }
}
