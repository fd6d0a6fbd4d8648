import ArgumentParser
import Dispatch
import Foundation
import ScaleQuant

/// `scalequant quantize MODEL --format F --method M -o OUT`: quantizes a ReLU network and writes it in the same
/// layout, then prints the `compare` metrics against the input.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a ReLU network (\(QuantizationMethodCatalog.names(graphs: false).joined(separator: ", "))) "
            + "and write it in the input's layout.",
        discussion: """
            Methods: rtn (round to nearest); cle (cross-layer equalization, then rtn); exact (global minimum of \
            the l2 path-metric; one hidden layer only); l2r (left to right: per neuron the cosine-optimal \
            scaling, pushed forward; last pair solved exactly); cd (exact coordinate descent on the l2 \
            path-metric, started from l2r). Integer formats without a step (int4, int8) get a per-layer step \
            max|W|/q taken from the input (rtn), the equalized network (cle), or the rescaling-invariant normal \
            form (exact, l2r, cd). The output keeps the input's tensor names and float dtype (FP8 codes for \
            e4m3/e5m2 in .safetensors unless --eval is given or --dtype says otherwise) and records format, \
            method and per-neuron scalings in __metadata__. data (output error on --calib inputs, exact per-neuron \
            search over the rescaling family, coordinate descent started from cd). --eval X.npy Y.npy adds \
            accuracy (integer labels: correct/N, argmax ties to the first index) and float_accuracy, or \
            eval_relative_error (float targets). --methods a,b --formats f,g run every pair: -o is then a \
            directory with one file per pair and summary.json. --report DIR writes report.html, results.json, \
            results.csv. Graph specs (MODEL.json, scalequant-graph v1: convolutions, pooling, residual adds, \
            batch norm folded automatically): methods rtn, cle, cd, data (--calib X.npy: exact line searches of \
            the calibration output error along each channel group's rescaling family, within a window, started \
            from the best of cd, cle and rtn of the normal form, then one sweep moving single weights one grid value up or \
            down when that helps); -o OUT.json writes the spec and OUT.safetensors (several methods or formats: \
            -o DIR, one spec per pair and summary.json; --report works as for MLPs); --eval X.npy Y.npy takes \
            inputs [N, C*H*W] or [N, C, H, W] and integer labels.
            """
    )

    @Argument(help: "The model file (.safetensors or .npz), or a graph spec (.json: conv/residual networks).")
    var model: String

    @Option(name: .long, help: "The weight format, e.g. e4m3, e2m1, int8 (see `scalequant formats`).")
    var format: String?

    @Option(name: .long, help: "Several weight formats, comma-separated (then -o is a directory).")
    var formats: String?

    @Option(name: .customLong("bias-format"), help: "The bias format (default: the weight format).")
    var biasFormat: String?

    @Option(name: .long, help: "rtn, cle, exact, l2r, cd or data.")
    var method: String?

    @Option(name: .long, help: "Several methods, comma-separated (then -o is a directory).")
    var methods: String?

    @Option(name: [.customShort("o"), .long],
            help: "The output file (.safetensors or .npz; never the input), or a directory with several methods/formats.")
    var output: String

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Inputs as .npy [N, inputs] for output errors.")
    var data: String?

    @Option(name: .long, parsing: .upToNextOption,
            help: "X.npy Y.npy: evaluation inputs and labels (integer: accuracy) or targets (float: regression error).")
    var eval: [String] = []

    @Option(name: .long, help: "Calibration inputs .npy [N, inputs] (graphs: [N, C*H*W] or [N, C, H, W]; needed by method data).")
    var calib: String?

    @Option(name: .long, help: "Also write report.html, results.json and results.csv into this directory.")
    var report: String?

    @Option(name: .long, help: "Stored dtype: auto (FP8 codes for e4m3/e5m2 unless --eval is given, else the input's), input, float32, float64.")
    var dtype: String = "auto"

    @Option(name: .customLong("max-sweeps"), help: "Coordinate-descent sweeps at most (default 50; graph method data: at most 3 data-aware sweeps, and this).")
    var maxSweeps: Int = 50

    @Flag(name: .long, help: "Print a JSON object.")
    var json = false

    @Flag(name: .long, help: "No progress indicator on standard error.")
    var quiet = false

    /// A grid choice from a format name: `intN` without `@STEP` means a per-layer step.
    /// Prints what the user should know about a result (``GraphQuantizationResult/notes``) to standard error.
    func printNotes(_ result: GraphQuantizationResult, label: String) {
        for note in result.notes { FileHandle.standardError.write(Data("note (\(label)): \(note)\n".utf8)) }
    }

    /// Checks that every method is known and that `--calib` is given exactly when some method needs it.
    func checkMethods(_ methods: [String]) throws {
        for m in methods where QuantizationMethodCatalog.named(m) == nil {
            throw CLIError("unknown method '\(m)': expected "
                           + QuantizationMethodCatalog.names(graphs: false).joined(separator: ", ")
                           + " (a data-free method may end in +bc: bias correction on --calib)")
        }
        let calibrated = methods.filter { QuantizationMethodCatalog.named($0)!.needsCalibration }
        if let m = calibrated.first, calib == nil {
            throw CLIError("method \(m) needs calibration inputs: add --calib X.npy (shape [N, inputs] or [N, C, H, W])")
        }
        if calib != nil && calibrated.isEmpty {
            throw CLIError("--calib is used by the calibrated methods only (data, gptq, …+bc)")
        }
    }

    static func choice(_ name: String) throws -> GridChoice {
        do { return try GridChoice(format: name) } catch { throw CLIError("\(error)") }
    }

    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
    }

    func render() throws -> String {
        var progress = ProgressIndicator(quiet: quiet)
        defer { progress.finish() }
        let indicator = progress
        return try render(progress: { progress.update($0, $1, $2) },
                          descent: { indicator.descentHandler(prefix: $0) })
    }

    /// `progress` is told of each finished (method, format) run; `descent` gives the handler of the progress
    /// reports within one run (prefixed by its method and format), if any.
    func render(progress: (Int, Int, String) -> Void,
                descent: (String) -> (@Sendable (QuantizationProgress) -> Void)? = { _ in nil }) throws -> String {
        if isGraphSpec(model) { return try renderGraph(progress: progress, descent: descent) }
        let methodList = Self.list(methods) + (method.map { [$0] } ?? [])
        let formatList = Self.list(formats) + (format.map { [$0] } ?? [])
        guard !methodList.isEmpty else { throw CLIError("give --method M or --methods a,b,c") }
        guard !formatList.isEmpty else { throw CLIError("give --format F or --formats f,g") }
        try checkMethods(methodList.map { $0.lowercased() })
        guard eval.isEmpty || eval.count == 2 else {
            throw CLIError("--eval takes two files: X.npy (inputs) and Y.npy (labels or targets)")
        }
        guard ["auto", "input", "float32", "float64"].contains(dtype.lowercased()) else {
            throw CLIError("--dtype must be auto, input, float32 or float64")
        }
        // Every check before any work, so that a bad format, method or input leaves nothing written.
        try requireReportDirectory()
        let gridsByFormat = try formatList.map { f in
            (f, GraphGridSpec(weights: try Self.choice(f), biases: try biasFormat.map(Self.choice)))
        }
        let multi = methodList.count * formatList.count > 1
        if multi { try requireDirectoryOutput() }
        let (net, layout) = try loadNetwork(model, specPath: modelOptions.spec)
        let evalData = try eval.isEmpty ? nil : loadEvaluationData(inputs: eval[0], labels: eval[1], network: net)
        var calibration: (inputs: [Double], count: Int)? = nil
        if let calib {
            let c = try loadGraphInputs(calib, graph: net)
            calibration = (c.values, c.batch)
        }
        let inputs = try data.map { try loadGraphInputs($0, graph: net) }
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = try checkedMaxSweeps()
        var entries: [ReportEntry] = []
        var results: [(result: GraphQuantizationResult, method: String, format: String)] = []
        let total = methodList.count * formatList.count
        for (f, grids) in gridsByFormat {
            for mName in methodList.map({ $0.lowercased() }) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let result: GraphQuantizationResult
                var runOptions = options
                runOptions.progress = descent("\(mName) \(f)")
                do {
                    result = try GraphQuantizer.quantize(net, method: mName, grids: grids, calibration: calibration,
                                                         options: runOptions)
                } catch GraphError.unsupported(let message) {
                    throw CLIError(message)
                } catch {
                    throw CLIError("\(error)")
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                printNotes(result, label: "\(mName) \(f)")
                results.append((result, mName, f))
                do {
                    entries.append(try ReportEntry(method: mName, format: f, original: net, quantized: result.network,
                                                   data: evalData, seconds: seconds, scalings: result.scalings,
                                                   sweeps: result.sweeps))
                } catch { throw CLIError("\(error)") }
                progress(entries.count, total, "\(mName) \(f)")
            }
        }
        let summary: QuantizationReport
        do {
            summary = QuantizationReport(title: model, widths: net.perceptronWidths ?? [],
                                         floatAccuracy: try evalData.flatMap { try Evaluation.accuracy(net, $0) },
                                         floatEvalRelativeError: try evalData?.targets.map {
                                             Evaluation.relativeError(reference: $0,
                                                                      try net.forward(evalData!.inputs, batch: evalData!.count),
                                                                      width: net.outputSize).meanRelative
                                         },
                                         samples: evalData?.count ?? 0, entries: entries)
        } catch { throw CLIError("\(error)") }
        // Every result exists: only now are files written.
        var files: [String] = []
        for r in results {
            let path = multi ? try multiPath(method: r.method, format: r.format) : output
            try save(r.result, method: r.method, format: r.format, layout: layout, to: path)
            files.append(path)
        }
        if let report { try writeReportFiles(summary, directory: report) }
        if multi {
            let jsonText = summary.json(files: files)
            try writeText(jsonText, to: output + "/summary.json")
            return json ? jsonText : summary.table() + "\n\nwrote \(files.count) models and summary.json to \(output)"
        }
        // Single run: the existing keys, plus accuracy / eval metrics when --eval is given.
        let e = entries[0]
        var pairs: [(String, JSONValue)] = [("method", .string(e.method)), ("format", .string(e.format)),
                                            ("bias_format", .string(biasFormat ?? e.format)), ("output", .string(output))]
        guard let quantized = e.network else { throw CLIError("internal error: the report entry has no network") }
        pairs += try comparisonMetrics(reference: net, other: quantized, radius: 1, data: inputs)
        if e.method == "cd" || e.method == "data" { pairs.append(("sweeps", .integer(e.sweeps))) }
        if let evalData {
            pairs.append(("eval_samples", .integer(evalData.count)))
            if evalData.labels != nil {
                pairs.append(("accuracy", .nullable(e.accuracy)))
                pairs.append(("float_accuracy", .nullable(summary.floatAccuracy)))
            } else {
                pairs.append(("eval_relative_error", .nullable(e.evalRelativeError)))
                pairs.append(("float_eval_relative_error", .nullable(summary.floatEvalRelativeError)))
            }
            pairs.append(("eval_output_relative_error", .nullable(e.outputRelativeError)))
        }
        if report != nil { pairs.append(("report", .string(report! + "/report.html"))) }
        return renderKeyValues(pairs, json: json)
    }

    /// Refuses a `--report` that exists and is not a directory (checked before any work).
    func requireReportDirectory() throws {
        if let report {
            try requireNotAFile(report, "--report names a directory to write report.html, results.json and "
                                + "results.csv into: \(report) is an existing file")
        }
    }

    /// `--max-sweeps`, refused unless at least 1.
    func checkedMaxSweeps() throws -> Int {
        guard maxSweeps >= 1 else { throw CLIError("--max-sweeps must be at least 1, got \(maxSweeps)") }
        return maxSweeps
    }

    /// Several methods or formats write a directory: refuses an `-o` that exists and is not a directory.
    func requireDirectoryOutput() throws {
        try requireNotAFile(output, "several methods or formats write one file each into a directory: -o \(output) "
                            + "is an existing file")
    }

    /// Throws `message` when `path` exists and is not a directory.
    func requireNotAFile(_ path: String, _ message: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw CLIError(message)
        }
    }

    /// `<output>/<model stem>_<method>_<format>.<ext>` (the directory is created).
    func multiPath(method: String, format: String) throws -> String {
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create directory \(output): \(error.localizedDescription)")
        }
        let url = URL(fileURLWithPath: model)
        let ext = url.pathExtension.isEmpty ? "safetensors" : url.pathExtension
        let stem = url.deletingPathExtension().lastPathComponent
        let safe = format.map { $0.isLetter || $0.isNumber ? $0 : "_" }
        return output + "/\(stem)_\(method)_\(String(safe)).\(ext)"
    }

    func writeText(_ text: String, to path: String) throws {
        do { try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw CLIError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Saves one result with metadata; FP8 codes only for `--dtype auto` without `--eval` (so files that are
    /// evaluated open in numpy-based tooling).
    func save(_ result: GraphQuantizationResult, method: String, format: String, layout: NetworkLayout,
              to path: String) throws {
        var layout = layout
        var preferred: DType? = nil
        switch dtype.lowercased() {
        case "float32": layout.dtype = .float32
        case "float64": layout.dtype = .float64
        case "auto" where eval.isEmpty:
            preferred = switch format.lowercased() {
            case "e4m3", "e4m3fn", "fp8_e4m3", "float8_e4m3fn": .float8E4M3FN
            case "e5m2", "fp8_e5m2", "float8_e5m2": .float8E5M2
            default: nil
            }
        default: break
        }
        let scalingsText = JSONValue.array(result.scalings.map { .array($0.map { .number($0) }) }).rendered()
        var metadata = layout.metadata
        metadata["format"] = format
        metadata["bias_format"] = biasFormat ?? format
        metadata["method"] = method
        metadata["scalings"] = scalingsText
        metadata["l2_path_metric"] = formatNumber(result.l2PathMetric)
        do {
            try result.network.save(tensorFile: path, layout: layout, metadata: metadata, preferred: preferred,
                                    refusingToOverwrite: [model])
        } catch {
            throw CLIError("\(error)")
        }
    }

    func run() throws { emit(try render()) }
}
