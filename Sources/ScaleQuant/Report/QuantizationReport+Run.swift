import Foundation

// The measures of a ReportEntry and the runs of a QuantizationReport, with batch normalization folded and the
// conv2d/linear nodes in the role of layers.

extension ReportEntry {
    /// Measures the quantized graph `quantized` against `original` (both batch-norm free, e.g. folded): ℓ²
    /// path-metric, per-node shares, weight error, certified bound and, with `data`, output errors, accuracy
    /// (labels) or the relative error against targets.
    ///
    /// - Throws: ``GraphError`` for graphs of different structures, with batch normalization, or data of the wrong
    ///   width.
    public init(method: String, format: String, original: GraphNetwork, quantized: GraphNetwork,
                data: EvaluationData?, seconds: Double = 0, scalings: [[Double]] = [], sweeps: Int = 0) throws {
        self.method = method; self.format = format
        bitsPerWeight = Evaluation.bitsPerWeight(format: format, method: method, graph: original)
        let metrics = try PathMetrics(original: original, quantized: quantized)
        l2PathMetric = metrics.l2PathMetric
        relativeL2PathMetric = metrics.relativeL2PathMetric
        certifiedBound = metrics.certifiedOutputBound
        layerShares = try Evaluation.layerShares(original: original, quantized: quantized)
        weightRelativeError = Evaluation.weightRelativeError(original, quantized)
        if let data {
            let ya = try original.forward(data.inputs, batch: data.count)
            let yb = try quantized.forward(data.inputs, batch: data.count)
            let e = Evaluation.relativeError(reference: ya, yb, width: original.outputSize)
            outputRelativeError = e.meanRelative
            outputMaxError = e.maxAbsolute
            if let labels = data.labels {
                accuracy = try Evaluation.accuracy(quantized, inputs: data.inputs, samples: data.count,
                                                        labels: labels)
            }
            if let t = data.targets {
                evalRelativeError = Evaluation.relativeError(reference: t, yb, width: original.outputSize).meanRelative
            }
        }
        self.seconds = seconds; network = quantized; self.scalings = scalings; self.sweeps = sweeps
    }
}

extension QuantizationReport {

    /// A one-line description of a graph for report headers: its conv2d/linear nodes and parameters, and whether
    /// batch normalization was folded.
    public static func summary(of graph: GraphNetwork, foldedBatchNorm: Bool) -> String {
        let affine = graph.nodes.filter { $0.operation.isAffine }
        let convs = affine.filter { if case .conv2d = $0.operation { return true } else { return false } }.count
        var s = "graph with \(convs) conv2d and \(affine.count - convs) linear nodes, \(graph.parameterCount) parameters"
        if foldedBatchNorm { s += " (batch norm folded)" }
        return s
    }

    /// Runs every (format, method) pair on a graph, formats outer, and measures each result against the folded
    /// graph; `layerNames` are the conv2d/linear nodes' names (a perceptron's: "layer ℓ", with its widths).
    ///
    /// - Parameter progress: called after each pair with (done, total, label) and the result. The reports of
    ///   `options.progress` within a pair get its method and format before their label (`cd e4m3 · node conv3 …`).
    /// - Throws: the first quantization or measurement error.
    public static func run(graph: GraphNetwork, title: String, methods: [String], formats: [String],
                           data: EvaluationData?, calibration: (inputs: [Double], count: Int)? = nil,
                           options: GraphCoordinateDescentOptions = .init(),
                           progress: (Int, Int, String, GraphQuantizationResult) throws -> Void = { _, _, _, _ in })
        throws -> QuantizationReport {
        let folded = try graph.foldingBatchNorm()
        var entries: [ReportEntry] = []
        let total = methods.count * formats.count
        for f in formats {
            let spec = try GraphGridSpec(format: f)
            for m in methods {
                let t0 = DispatchTime.now().uptimeNanoseconds
                var runOptions = options
                if let report = options.progress {
                    runOptions.progress = { p in
                        var q = p
                        q.label = "\(m) \(f) · " + p.label
                        report(q)
                    }
                }
                let r = try GraphQuantizer.quantize(graph, method: m, grids: spec, calibration: calibration,
                                                   options: runOptions)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                entries.append(try ReportEntry(method: m, format: f, original: folded, quantized: r.network, data: data,
                                               seconds: seconds, scalings: r.scalings, sweeps: r.sweeps))
                try progress(entries.count, total, "\(m) \(f)", r)
            }
        }
        var floatAccuracy: Double?, floatError: Double?
        if let data {
            if let labels = data.labels {
                floatAccuracy = try Evaluation.accuracy(folded, inputs: data.inputs, samples: data.count,
                                                             labels: labels)
            }
            if let t = data.targets {
                floatError = Evaluation.relativeError(reference: t, try folded.forward(data.inputs, batch: data.count),
                                                      width: folded.outputSize).meanRelative
            }
        }
        let widths = folded.perceptronWidths
        var report = QuantizationReport(title: title, widths: widths ?? [], floatAccuracy: floatAccuracy,
                                        floatEvalRelativeError: floatError, samples: data?.count ?? 0, entries: entries)
        if widths == nil {  // a perceptron's header and chart keep "W0-W1-…-WL ReLU network" and "layer ℓ"
            report.modelSummary = summary(of: folded, foldedBatchNorm: graph.hasBatchNorm)
            report.layerNames = folded.nodes.filter { $0.operation.isAffine }.map(\.name)
        }
        return report
    }
}
