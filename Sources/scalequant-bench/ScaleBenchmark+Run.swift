import Foundation
import ScaleQuant

extension ScaleBenchmark {
    /// The child of ``runChild(_:timeout:)``: `scalequant-bench scale-run DIR NAME FORMAT METHOD [MAX_SWEEPS]`
    /// quantizes one model through ``GraphQuantizer/quantize(_:method:grids:calibration:options:)`` (the CLI's
    /// entry) and prints one tab-separated line: seconds, peak MiB, ℓ² path-metric, output error, sweeps (and,
    /// with `SCALEQUANT_BENCH_HISTORY` set, the metric after each sweep on standard error).
    static func runOne(_ args: [String]) -> Int32 {
        guard args.count == 4 || args.count == 5 else {
            print("usage: scalequant-bench scale-run DIR NAME FORMAT METHOD [MAX_SWEEPS]")
            return 2
        }
        let (directory, name, format, method) = (args[0], args[1], args[2], args[3])
        do {
            guard let path = modelFile(name, in: directory) else { throw EvaluationError("no model \(name)") }
            let graph = path.hasSuffix(".json")
                ? try GraphNetwork.load(spec: URL(fileURLWithPath: path))
                : try GraphNetwork.load(tensorFile: path, spec: nil).network
            let held = try NPY.read("\(directory)/\(name)_eval.npy")
            let entry = QuantizationMethodCatalog.named(method)
            var calibration: (inputs: [Double], count: Int)? = nil
            if entry?.needsCalibration == true {
                let c = try NPY.read("\(directory)/\(name)_calib.npy")
                calibration = (c.values, c.shape[0])
            }
            var options = GraphCoordinateDescentOptions()
            if args.count == 5, let s = Int(args[4]) { options.maxSweeps = s }
            let grids = try GraphGridSpec(format: format)
            var result: GraphQuantizationResult?
            var failure: Error?
            let seconds = Timing.seconds {
                do {
                    result = try GraphQuantizer.quantize(graph, method: method, grids: grids,
                                                         calibration: calibration, options: options)
                } catch { failure = error }
            }
            if let failure { throw failure }
            guard let result else { return 1 }
            let folded = try graph.foldingBatchNorm()
            let error = try Evaluation.outputError(folded, result.network, held.values, batch: held.shape[0])
            let cells = [fixed(seconds, 2), fixed(peakMiB(), 0), String(format: "%.5g", result.l2PathMetric),
                         String(format: "%.5g", error.meanRelative), "\(result.sweeps)"]
            print(cells.joined(separator: "\t"))
            if ProcessInfo.processInfo.environment["SCALEQUANT_BENCH_HISTORY"] != nil {
                // The metric after each sweep, for studies of the stopping rule (stderr: the parent reads stdout).
                FileHandle.standardError.write(Data(("history\t" + result.history.map { String(format: "%.7g", $0) }
                    .joined(separator: " ") + "\n").utf8))
            }
            return 0
        } catch {
            print("\(error)")
            return 1
        }
    }

    /// The process's peak resident set (`VmHWM` of /proc/self/status) in MiB, or the maximum resident set size of
    /// `getrusage` where /proc is missing.
    static func peakMiB() -> Double {
        if let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kb = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            return kb / 1024
        }
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_maxrss) / 1024
    }
}
