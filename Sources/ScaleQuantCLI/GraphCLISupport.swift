import Foundation
import ScaleQuant

// Graph specs (.json, scalequant-graph v1) in pathnorm, compare, quantize and experiment graphs: loading with
// CLI errors, inputs of shape [N, C·H·W] or [N, C, H, W], the comparison metrics and the quantize command's graph
// path.

/// Whether a model path is a graph spec (dispatch on the `.json` extension).
func isGraphSpec(_ path: String) -> Bool { URL(fileURLWithPath: path).pathExtension.lowercased() == "json" }

/// Loads a graph spec and its weights, turning errors into CLIError.
func loadGraph(_ path: String) throws -> (network: GraphNetwork, layout: GraphLayout) {
    do {
        return try GraphNetwork.loadWithLayout(spec: URL(fileURLWithPath: path))
    } catch {
        throw CLIError("\(error)")
    }
}

/// Reads graph inputs from a `.npy` file: `[N, C·H·W]`, `[N, C, H, W]` (or `[N, F]` for a `[F]` input), or one
/// sample without the batch dimension.
func loadGraphInputs(_ path: String, graph: GraphNetwork) throws -> (values: [Double], batch: Int) {
    let array: NDArray
    do { array = try NPY.read(path) } catch { throw CLIError("\(path): \(error)") }
    let size = graph.inputSize
    let batch: Int
    if array.shape == graph.inputShape || array.shape == [size] {
        batch = 1
    } else if array.rank == 2, array.shape[1] == size {
        batch = array.shape[0]
    } else if array.rank == graph.inputShape.count + 1, Array(array.shape.dropFirst()) == graph.inputShape {
        batch = array.shape[0]
    } else {
        let shape = graph.inputShape.map(String.init).joined(separator: ", ")
        throw CLIError("\(path): data has shape \(array.shape), expected [N, \(size)]"
                       + (graph.inputShape.count > 1 ? " or [N, \(shape)]" : ""))
    }
    if let i = array.values.firstIndex(where: { !$0.isFinite }) { throw CLIError("\(path): value \(i) is NaN or infinite") }
    return (array.values, batch)
}

/// Reads integer class labels for `batch` samples from a `.npy` file (`[N]` or `[N, 1]`).
func loadGraphLabels(_ path: String, batch: Int) throws -> [Int] {
    let y: NDArray
    do { y = try NPY.read(path) } catch { throw CLIError("\(path): \(error)") }
    guard !y.dtype.isFloatingPoint else {
        throw CLIError("\(path): labels must be integers (got \(y.dtype.rawValue)); graphs are evaluated by accuracy")
    }
    guard (y.rank == 1 || (y.rank == 2 && y.shape[1] == 1)), y.shape[0] == batch else {
        throw CLIError("\(path): labels have shape \(y.shape), expected [\(batch)]")
    }
    return y.values.map { Int($0) }
}

/// The comparison metrics of `compare` and `quantize` for two graphs of one structure (batch norms folded), in
/// output order.
func graphComparisonMetrics(reference a: GraphNetwork, other b: GraphNetwork, radius: Double,
                            data: (values: [Double], batch: Int)?) throws -> [(String, JSONValue)] {
    do {
        let fa = try a.foldingBatchNorm(), fb = try b.foldingBatchNorm()
        var out = try PathMetrics(original: fa, quantized: fb, radius: radius).pairs
        if let data {
            let ya = try fa.forward(data.values, batch: data.batch), yb = try fb.forward(data.values, batch: data.batch)
            let e = Evaluation.relativeError(reference: ya, yb, width: fa.outputSize)
            out.append(("samples", .integer(data.batch)))
            out.append(("output_relative_error", .number(e.meanRelative)))
            out.append(("output_max_error", .number(e.maxAbsolute)))
        }
        return out
    } catch let e as CLIError {
        throw e
    } catch GraphError.mismatch(let message) {
        throw CLIError("the graphs have different structures: \(message)")
    } catch {
        throw CLIError("\(error)")
    }
}

extension QuantizeCommand {
    /// `quantize` on a graph spec: every method (exact and l2r only for perceptrons; data with `--calib`). One
    /// format and one method without `--report`: writes a spec and its safetensors weights (never over the inputs) and prints the metrics
    /// against the (folded) input; otherwise ``renderGraphRuns(methods:formats:progress:descent:)``. `descent`
    /// gives the handler of the progress reports within a run, prefixed by its method and format (if any).
    func renderGraph(progress: (Int, Int, String) -> Void = { _, _, _ in },
                     descent: (String) -> (@Sendable (QuantizationProgress) -> Void)? = { _ in nil }) throws
        -> String {
        let methodList = Self.list(methods) + (method.map { [$0] } ?? [])
        let formatList = Self.list(formats) + (format.map { [$0] } ?? [])
        guard !methodList.isEmpty, !formatList.isEmpty else {
            throw CLIError("give --method M or --methods a,b (rtn, cle, cd, data) and --format F or --formats f,g")
        }
        if methodList.count * formatList.count > 1 || report != nil {
            return try renderGraphRuns(methods: methodList.map { $0.lowercased() }, formats: formatList,
                                       progress: progress, descent: descent("quantize"))
        }
        let methodName = methodList[0].lowercased(), formatName = formatList[0]
        try checkMethods([methodName])
        try modelOptions.requireNoSpec()
        guard eval.isEmpty || eval.count == 2 else {
            throw CLIError("--eval takes two files: X.npy (inputs) and Y.npy (integer labels)")
        }
        guard let outputDType = GraphOutputDType(rawValue: dtype.lowercased()) else {
            throw CLIError("--dtype must be auto, input, float32 or float64")
        }
        guard isGraphSpec(output) else {
            throw CLIError("the output of a graph must be a spec path ending in .json (its weights go next to it, "
                           + ".safetensors)")
        }
        let grids = GraphGridSpec(weights: try Self.choice(formatName), biases: try biasFormat.map(Self.choice))
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = try checkedMaxSweeps()
        options.progress = descent("\(methodName) \(formatName)")
        try requireReportDirectory()
        let (graph, layout) = try loadGraph(model)
        // Every input is read and checked before the work and the write.
        let data = try self.data.map { try loadGraphInputs($0, graph: graph) }
        let evaluation = try eval.count == 2 ? loadGraphInputs(eval[0], graph: graph) : nil
        let labels = try evaluation.map { try loadGraphLabels(eval[1], batch: $0.batch) }
        let result: GraphQuantizationResult
        var calibrationCount = 0
        do {
            let calibration = try calib.map { path -> (inputs: [Double], count: Int) in
                let c = try loadGraphInputs(path, graph: graph)
                return (c.values, c.batch)
            }
            calibrationCount = calibration?.count ?? 0
            result = try GraphQuantizer.quantize(graph, method: methodName, grids: grids, calibration: calibration,
                                                 options: options)
            printNotes(result, label: "\(methodName) \(formatName)")
        } catch let e as CLIError {
            throw e
        } catch GraphError.unsupported(let message) {
            throw CLIError(message)
        } catch {
            throw CLIError("\(error)")
        }
        do {
            try result.save(spec: URL(fileURLWithPath: output), input: URL(fileURLWithPath: model), layout: layout,
                            method: methodName, format: formatName, biasFormat: biasFormat, dtype: outputDType)
        } catch {
            throw CLIError("\(error)")
        }
        let folded: GraphNetwork
        do { folded = try graph.foldingBatchNorm() } catch { throw CLIError("\(error)") }
        var pairs: [(String, JSONValue)] = [("method", .string(methodName)), ("format", .string(formatName)),
                                            ("bias_format", .string(biasFormat ?? formatName)),
                                            ("output", .string(output)),
                                            ("folded_batch_norm", .bool(result.foldedBatchNorm))]
        pairs += try graphComparisonMetrics(reference: folded, other: result.network, radius: 1, data: data)
        if result.method == .coordinateDescent { pairs.append(("sweeps", .integer(result.sweeps))) }
        if calibrationCount > 0 { pairs.append(("calibration_samples", .integer(calibrationCount))) }
        if let start = result.calibrationStart, let first = result.calibrationErrors.first,
           let last = result.calibrationErrors.last {
            pairs.append(("start", .string(start)))
            pairs.append(("start_calibration_squared_error", .number(first)))
            pairs.append(("calibration_squared_error", .number(last)))
        }
        if let x = evaluation, let labels {
            do {
                let accuracy = try Evaluation.accuracy(result.network, inputs: x.values, samples: x.batch,
                                                            labels: labels)
                let floatAccuracy = try Evaluation.accuracy(folded, inputs: x.values, samples: x.batch,
                                                                 labels: labels)
                let error = Evaluation.relativeError(reference: try folded.forward(x.values, batch: x.batch),
                                                     try result.network.forward(x.values, batch: x.batch),
                                                     width: folded.outputSize)
                pairs.append(("eval_samples", .integer(x.batch)))
                pairs.append(("accuracy", .number(accuracy)))
                pairs.append(("float_accuracy", .number(floatAccuracy)))
                pairs.append(("eval_output_relative_error", .number(error.meanRelative)))
            } catch {
                throw CLIError("\(error)")
            }
        }
        return renderKeyValues(pairs, json: json)
    }
}

extension QuantizeCommand {
    /// `quantize` on a graph spec with several methods or formats, or with `--report`: every (format, method) pair
    /// is written (to `-o` itself for a single pair, else `<-o>/<stem>_<method>_<format>.json` and `summary.json`),
    /// and `--report DIR` gets report.html, results.json and results.csv (``QuantizationReport``).
    func renderGraphRuns(methods methodList: [String], formats formatList: [String],
                         progress: (Int, Int, String) -> Void,
                         descent: (@Sendable (QuantizationProgress) -> Void)? = nil) throws -> String {
        try checkMethods(methodList)
        try modelOptions.requireNoSpec()
        guard eval.isEmpty || eval.count == 2 else {
            throw CLIError("--eval takes two files: X.npy (inputs) and Y.npy (integer labels)")
        }
        guard let outputDType = GraphOutputDType(rawValue: dtype.lowercased()) else {
            throw CLIError("--dtype must be auto, input, float32 or float64")
        }
        let multi = methodList.count * formatList.count > 1
        if !multi && !isGraphSpec(output) {
            throw CLIError("the output of a graph must be a spec path ending in .json (its weights go next to it, "
                           + ".safetensors)")
        }
        if multi && isGraphSpec(output) {
            throw CLIError("several methods or formats write one spec each: -o must be a directory, not \(output)")
        }
        if multi { try requireDirectoryOutput() }
        try requireReportDirectory()
        let sweeps = try checkedMaxSweeps()
        for f in formatList { _ = try Self.choice(f) }
        let (graph, layout) = try loadGraph(model)
        let calibration = try calib.map { path -> (inputs: [Double], count: Int) in
            let c = try loadGraphInputs(path, graph: graph)
            return (c.values, c.batch)
        }
        var evaluation: EvaluationData?
        if eval.count == 2 {
            let x = try loadGraphInputs(eval[0], graph: graph)
            evaluation = EvaluationData(inputs: x.values, count: x.batch, labels: try loadGraphLabels(eval[1], batch: x.batch))
        } else if let data {
            let x = try loadGraphInputs(data, graph: graph)
            evaluation = EvaluationData(inputs: x.values, count: x.batch)
        }
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = sweeps
        options.progress = descent
        var results: [(result: GraphQuantizationResult, method: String, format: String)] = []
        var files: [String] = []
        let summary: QuantizationReport
        do {
            summary = try QuantizationReport.run(graph: graph, title: model, methods: methodList, formats: formatList,
                                                 data: evaluation, calibration: calibration,
                                                 options: options) { done, total, label, result in
                let parts = label.split(separator: " ").map(String.init)
                printNotes(result, label: label)
                results.append((result, parts[0], parts[1]))
                progress(done, total, label)
            }
            // Every result exists: only now are files written.
            for r in results {
                let path = multi ? try multiPath(method: r.method, format: r.format) : output
                try r.result.save(spec: URL(fileURLWithPath: path), input: URL(fileURLWithPath: model), layout: layout,
                                  method: r.method, format: r.format, biasFormat: biasFormat, dtype: outputDType)
                files.append(path)
            }
        } catch let e as CLIError {
            throw e
        } catch {
            throw CLIError("\(error)")
        }
        var reportPath: String?
        if let report { reportPath = try writeReportFiles(summary, directory: report) }
        let jsonText = summary.json(files: files)
        if multi { try writeText(jsonText, to: output + "/summary.json") }
        if json { return jsonText }
        var text = summary.table() + "\n\nwrote \(files.count) graph\(files.count == 1 ? "" : "s")"
            + (multi ? " and summary.json to \(output)" : " to \(output)")
        if let reportPath { text += "\nreport: \(reportPath)" }
        return text
    }
}
