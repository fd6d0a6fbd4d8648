import Foundation
import ScaleQuant

/// Butterfly quantization and factorization timings, side by side with lazylinop (`qbutterfly` internals) and
/// pyfaust (`pyfaust.fact.butterfly`) on the very same inputs, through the package's
/// `scripts/bench_lazylinop_butterfly.py`, when the anchor venv exists (``AnchorEnvironment``:
/// the `anchors` environment of `scripts/venv-python`).
///
/// Quantization: random Gaussian square-dyadic butterflies, N ∈ {256, 1024}, formats F_4 (`p=4`), e4m3, bf16,
/// methods pairwise and l2r; our time (best of 3, or 1 run if it exceeds 1 s), lazylinop's time (one call),
/// the ratio, and both exact dense errors. Factorization: a random butterfly product and the orthonormal DCT-II,
/// N ∈ {256, 1024}.
enum ButterflyBenchmark {
    static let benchmark = Benchmark(
        name: "butterfly",
        summary: "butterfly quantization (pairwise, l2r) and factorization vs lazylinop / pyfaust",
        run: { runAll() }
    )

    static var python: String { AnchorEnvironment.python }

    /// The driver script (found from the package root, whatever the current directory).
    static var driver: String { AnchorEnvironment.script("bench_lazylinop_butterfly.py") }

    static func runAll() {
        let missing = AnchorEnvironment.missing(script: "bench_lazylinop_butterfly.py")
        let haveVenv = missing == nil
        if let missing {
            print("note: lazylinop/pyfaust comparison skipped: \(missing)")
        }
        let sizes = (ProcessInfo.processInfo.environment["BUTTERFLY_BENCH_SIZES"] ?? "256,1024")
            .split(separator: ",").compactMap { Int($0) }
        let dir = NSTemporaryDirectory() + "scalequant-bench-butterfly-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        print("butterfly quantization: random Gaussian square-dyadic chain (seed 7), exact dense errors")
        var table = RowPrinter(["N", "format", "method", "ours s", "lazylinop s", "speed-up", "our error",
                                "lazylinop error", "RTN error"])
        for n in sizes {
            guard let chain = try? ButterflyChain.random(n, seed: 7) else { continue }
            let path = dir + "/factors_\(n).npz"
            try? NPZ.write(chain.namedArrays(), to: path)
            for format in ["p=4", "e4m3", "bf16"] {
                guard let grid = try? FormatCatalog.grid(named: format) else { continue }
                let rtn = ButterflyMetrics.relativeError(chain, ButterflyQuantizer.roundToNearest(chain, grid: grid))
                for method in [SparseChain.Method.pairwise, .leftToRight] {
                    var q = chain
                    var t = Timing.seconds { q = (try? ButterflyQuantizer.quantize(chain, grid: grid, method: method)) ?? chain }
                    if t < 1 { t = min(t, Timing.bestOf(2) { q = (try? ButterflyQuantizer.quantize(chain, grid: grid, method: method)) ?? chain }) }
                    q.factors[0].values.withUnsafeMutableBufferPointer { BlackHole.consume($0) }
                    let ours = ButterflyMetrics.relativeError(chain, q)
                    var theirs: [String: Any]? = nil
                    if haveVenv {
                        theirs = runDriver(["quantize", "--factors", path, "--format", format, "--method", method.rawValue])
                    }
                    let ts = theirs?["seconds"] as? Double, te = theirs?["relative_error"] as? Double
                    table.add([String(n), format, method.rawValue, sci(t), ts.map(sci) ?? "-",
                               ts.map { fixed($0 / t, 1) + "x" } ?? "-", sci(ours), te.map(sci) ?? "-", sci(rtn)])
                }
            }
        }
        table.print()

        print("")
        print("butterfly factorization (hierarchical, balanced tree): ours vs pyfaust.fact.butterfly(type='bbtree')")
        var ft = RowPrinter(["N", "matrix", "ours s", "pyfaust s", "speed-up", "our error", "pyfaust error"])
        for n in sizes {
            let inputs: [(String, [Double])] = [
                ("random butterfly", (try? ButterflyChain.random(n, seed: 11).dense()) ?? []),
                ("DCT-II", ButterflyExperiment.dct2(n)),
            ]
            for (name, a) in inputs {
                var f: ButterflyFactorization?
                let t = Timing.bestOf(2) { f = try? ButterflyFactorization(matrix: a, size: n) }
                let path = dir + "/matrix_\(n)_\(name.first!).npy"
                try? NPY.write(try! NDArray(shape: [n, n], values: a), to: path)
                var theirs: [String: Any]? = nil
                if haveVenv { theirs = runDriver(["factorize", "--matrix", path]) }
                let ts = theirs?["seconds"] as? Double, te = theirs?["relative_error"] as? Double
                ft.add([String(n), name, sci(t), ts.map(sci) ?? "-", ts.map { fixed($0 / t, 1) + "x" } ?? "-",
                        sci(f?.relativeError ?? .nan), te.map(sci) ?? "-"])
            }
        }
        ft.print()
    }

    /// Runs the Python driver and parses the last line of its standard output as JSON (nil, with a note, on failure).
    static func runDriver(_ arguments: [String]) -> [String: Any]? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [driver] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch {
            print("note: cannot run \(python): \(error)")
            return nil
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        _ = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            print("note: driver \(arguments.joined(separator: " ")) failed (status \(p.terminationStatus))")
            return nil
        }
        return obj
    }
}
