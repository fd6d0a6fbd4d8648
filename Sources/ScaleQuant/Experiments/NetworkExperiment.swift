/// The networks experiment (docs/Theory.md §4, "Measures to report"): every method on every format for a set of models,
/// on each model and on a randomly rescaled copy of it, so that rescaling immunity shows side by side.
///
/// Models are plugged in as values (``Model``): seeded random MLPs by default, or any trained network loaded with
/// ``NetworkIO`` (with its own evaluation inputs).
public enum NetworkExperiment {
    /// A network to quantize and the inputs to measure its output error on (row-major `samples × inputs`).
    public struct Model: Sendable {
        /// Name used in the CSV.
        public var name: String
        /// The network.
        public var network: ReLUNetwork
        /// Evaluation inputs, row-major.
        public var inputs: [Double]
        /// Number of input rows.
        public var samples: Int
        /// Class labels of the input rows (prediction = argmax of the output), for the accuracy column.
        public var labels: [Int]?
        /// Creates a model entry.
        public init(name: String, network: ReLUNetwork, inputs: [Double], samples: Int, labels: [Int]? = nil) {
            self.name = name; self.network = network; self.inputs = inputs; self.samples = samples
            self.labels = labels
        }

        /// A He-initialized random MLP with seeded standard Gaussian inputs.
        public static func random(widths: [Int], seed: UInt64, samples: Int = 1000) -> Model {
            var rng = SeededGenerator(seed: seed &+ 1000)
            return Model(name: widths.map(String.init).joined(separator: "-"),
                         network: ReLUNetwork.random(widths: widths, seed: seed),
                         inputs: rng.gaussians(samples * widths[0]), samples: samples)
        }
    }

    /// One measurement.
    public struct Row: Sendable {
        /// Model name.
        public var model: String
        /// Format name.
        public var format: String
        /// Method.
        public var method: NetworkQuantizationMethod
        /// Whether the input network was randomly rescaled first.
        public var rescaled: Bool
        /// ‖Φ(θ) − Φ(θ̂)‖₂.
        public var l2PathMetric: Double
        /// ‖Φ(θ) − Φ(θ̂)‖₂ / ‖Φ(θ)‖₂.
        public var relativeL2PathMetric: Double
        /// Mean over inputs of ‖R_θ(x) − R_θ̂(x)‖₂ / ‖R_θ(x)‖₂.
        public var outputRelativeError: Double
        /// Fraction of inputs whose argmax matches the label (models with labels only).
        public var accuracy: Double?
        /// The unquantized network's accuracy on the same inputs (models with labels only).
        public var floatAccuracy: Double?
        /// Coordinate-descent sweeps (0 otherwise).
        public var sweeps: Int
        /// Wall-clock seconds of the quantization.
        public var seconds: Double
        /// Whether the row is the data-aware quantizer's (`method` is then `cd`, its first stage).
        public var dataAware = false

        /// The method's name in tables: `data` for the data-aware quantizer, else the method's raw value.
        public var methodName: String { dataAware ? "data" : method.rawValue }
    }

    /// Runs every (model, format, method) on the model and on its copy rescaled by factors drawn from
    /// `rescaleChoices` (seed `seed`); `exact` only on one-hidden-layer models. Errors are measured against the
    /// original (unrescaled) network, whose function the rescaled copy shares.
    public static func run(models: [Model], formats: [String], methods: [NetworkQuantizationMethod],
                           rescaleChoices: [Double] = [1, 128, 4096], seed: UInt64 = 1, maxSweeps: Int = 10,
                           progress: (Row) -> Void = { _ in }) throws -> [Row] {
        var rows: [Row] = []
        var options = CoordinateDescentOptions()
        options.maxSweeps = maxSweeps
        let clock = ContinuousClock()
        for model in models {
            let reference = model.network
            let rescaled = reference.randomlyRescaled(choices: rescaleChoices, seed: seed).network
            let outputs = reference.forward(model.inputs, batch: model.samples)
            let data = EvaluationData(inputs: model.inputs, count: model.samples, labels: model.labels)
            let floatAccuracy = model.labels == nil ? nil : Evaluation.accuracy(reference, data)
            for format in formats {
                let spec = try NetworkGridSpec(format: format)
                for method in methods where method != .exact || reference.hiddenLayerCount == 1 {
                    for (isRescaled, net) in [(false, reference), (true, rescaled)] {
                        var result: NetworkQuantizationResult!
                        let elapsed = try clock.measure {
                            result = try NetworkQuantizer.quantize(net, method: method, grids: spec, options: options)
                        }
                        let metric = PathLifting.l2PathMetric(reference, result.network)
                        let norm = PathLifting.pathNorm(reference, q: 2)
                        let y = result.network.forward(model.inputs, batch: model.samples)
                        let row = Row(model: model.name, format: format, method: method, rescaled: isRescaled,
                                      l2PathMetric: metric, relativeL2PathMetric: metric / norm,
                                      outputRelativeError: meanRelativeError(outputs, y, width: reference.outputSize),
                                      accuracy: model.labels == nil ? nil : Evaluation.accuracy(result.network, data),
                                      floatAccuracy: floatAccuracy,
                                      sweeps: result.sweeps,
                                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                        rows.append(row)
                        progress(row)
                    }
                }
            }
        }
        return rows
    }

    /// Mean over rows of ‖a − b‖₂ / ‖a‖₂ (rows with a = 0 skipped).
    public static func meanRelativeError(_ a: [Double], _ b: [Double], width: Int) -> Double {
        var sum = 0.0, count = 0
        for s in 0..<(a.count / width) {
            var d = 0.0, n = 0.0
            for o in 0..<width {
                let e = a[s * width + o] - b[s * width + o]
                d += e * e; n += a[s * width + o] * a[s * width + o]
            }
            if n > 0 { sum += (d / n).squareRoot(); count += 1 }
        }
        return count > 0 ? sum / Double(count) : 0
    }

    /// CSV with a header: model, format, method, rescaled, l2_path_metric, relative_l2_path_metric,
    /// output_relative_error, accuracy, float_accuracy (empty without labels), sweeps, seconds.
    public static func csv(_ rows: [Row]) -> String {
        var lines = ["model,format,method,rescaled,l2_path_metric,relative_l2_path_metric,output_relative_error,"
                     + "accuracy,float_accuracy,sweeps,seconds"]
        for r in rows {
            lines.append([r.model, r.format, r.methodName, r.rescaled ? "yes" : "no", "\(r.l2PathMetric)",
                          "\(r.relativeL2PathMetric)", "\(r.outputRelativeError)", r.accuracy.map { "\($0)" } ?? "",
                          r.floatAccuracy.map { "\($0)" } ?? "", "\(r.sweeps)", "\(r.seconds)"]
                .joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
