/// The networks experiment (docs/Theory.md §4, "Measures to report"): every method on every format for perceptrons,
/// convolutional and residual networks, on each model and on a randomly rescaled copy of it, so that rescaling
/// immunity shows side by side. The rows and the CSV are those of ``NetworkExperiment``.
public enum GraphExperiment {
    /// A graph to quantize and the inputs to measure its output error on (row-major `samples × inputSize`, NCHW).
    public struct Model: Sendable {
        /// Name used in the CSV.
        public var name: String
        /// The graph (batch normalization is folded before anything else).
        public var network: GraphNetwork
        /// Evaluation inputs, `samples × inputSize`.
        public var inputs: [Double]
        /// Number of input rows.
        public var samples: Int
        /// Class labels of the input rows (prediction = argmax of the output, ties to the first index).
        public var labels: [Int]?
        /// Calibration inputs of the data-aware quantizer (`calibrationSamples × inputSize`), if any.
        public var calibration: [Double]?
        /// Number of calibration rows.
        public var calibrationSamples: Int

        /// Creates a model entry.
        public init(name: String, network: GraphNetwork, inputs: [Double], samples: Int, labels: [Int]? = nil,
                    calibration: [Double]? = nil, calibrationSamples: Int = 0) {
            self.name = name; self.network = network; self.inputs = inputs; self.samples = samples
            self.labels = labels; self.calibration = calibration; self.calibrationSamples = calibrationSamples
        }
    }

    /// Runs every (model, format, method) on the folded model and on its copy rescaled by factors drawn from
    /// `rescaleChoices` (seed `seed`), through the one entry point by name
    /// (``GraphQuantizer/quantize(_:method:grids:calibration:options:)``, names of ``QuantizationMethodCatalog``).
    /// Errors are measured against the folded, unrescaled model, whose function the rescaled copy shares. Methods
    /// that do not apply to a model are skipped: `exact` needs a perceptron with one hidden layer, `l2r` a
    /// perceptron, the calibrated ones (`data`, `gptq`, `…+bc`) calibration inputs; per-channel formats (`NAME/ch`) run
    /// with rtn, cle and the calibrated methods only.
    ///
    /// - Throws: ``GraphError`` or ``FormatError`` from loading, folding or quantizing, or for an unknown name.
    public static func run(models: [Model], formats: [String], methods: [String],
                           rescaleChoices: [Double] = [1, 128, 4096], seed: UInt64 = 1, maxSweeps: Int = 10,
                           progress: (NetworkExperiment.Row) -> Void = { _ in }) throws -> [NetworkExperiment.Row] {
        let entries = try methods.map { name in
            guard let e = QuantizationMethodCatalog.named(name) else {
                throw GraphError.invalidArgument("unknown method '\(name)'")
            }
            return e
        }
        var rows: [NetworkExperiment.Row] = []
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = maxSweeps
        let clock = ContinuousClock()
        for model in models {
            let reference = try model.network.foldingBatchNorm()
            let rescaled = try reference.randomlyRescaled(choices: rescaleChoices, seed: seed).network
            let outputs = try reference.forward(model.inputs, batch: model.samples)
            let norm = try GraphPathLifting.pathNorm(reference, q: 2)
            let floatAccuracy = try model.labels.map {
                try Evaluation.accuracy(reference, inputs: model.inputs, samples: model.samples, labels: $0)
            }
            let widths = reference.perceptronWidths
            let calibration = model.calibration.map { ($0, model.calibrationSamples) }
            let applicable = entries.filter { e in
                if e.needsCalibration && calibration == nil { return false }
                switch e.method {
                case .exact?: return widths?.count == 3
                case .leftToRight?: return widths != nil
                default: return true
                }
            }
            for format in formats {
                let spec = try GraphGridSpec(format: format)
                for entry in applicable where !spec.weights.isPerChannel
                    || entry.calibrated != nil || entry.method == .rtn || entry.method == .cle {
                    for (isRescaled, net) in [(false, reference), (true, rescaled)] {
                        var result: GraphQuantizationResult!
                        let elapsed = try clock.measure {
                            result = try GraphQuantizer.quantize(net, method: entry.name, grids: spec,
                                                                 calibration: calibration, options: options)
                        }
                        let metric = try GraphPathLifting.l2PathMetric(reference, result.network)
                        let y = try result.network.forward(model.inputs, batch: model.samples)
                        let row = NetworkExperiment.Row(
                            model: model.name, format: format, method: entry.name,
                            bitsPerWeight: Evaluation.bitsPerWeight(format: format, method: entry.name,
                                                                    graph: reference),
                            rescaled: isRescaled,
                            l2PathMetric: metric, relativeL2PathMetric: norm > 0 ? metric / norm : 0,
                            outputRelativeError: NetworkExperiment.meanRelativeError(outputs, y,
                                                                                     width: reference.outputSize),
                            accuracy: try model.labels.map {
                                try Evaluation.accuracy(result.network, inputs: model.inputs, samples: model.samples, labels: $0)
                            },
                            floatAccuracy: floatAccuracy, sweeps: result.sweeps,
                            seconds: Double(elapsed.components.seconds)
                                + Double(elapsed.components.attoseconds) * 1e-18)
                        rows.append(row)
                        progress(row)
                    }
                }
            }
        }
        return rows
    }
}
