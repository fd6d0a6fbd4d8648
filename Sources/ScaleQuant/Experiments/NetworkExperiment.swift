/// The networks experiment (docs/Theory.md §4, "Measures to report"): every method on every format for a set of models,
/// on each model and on a randomly rescaled copy of it, so that rescaling immunity shows side by side.
///
/// The rows and their CSV; ``GraphExperiment/run(models:formats:methods:rescaleChoices:seed:maxSweeps:progress:)``
/// runs them on any models: seeded random perceptrons (``randomModel(widths:seed:samples:)``) or trained networks
/// loaded from files (with their own evaluation inputs).
public enum NetworkExperiment {
    /// A He-initialized random perceptron (``GraphNetwork/randomPerceptron(widths:seed:biasScale:)``) with seeded
    /// standard Gaussian inputs, named by its widths.
    public static func randomModel(widths: [Int], seed: UInt64, samples: Int = 1000,
                                   calibrationSamples: Int = 0) -> GraphExperiment.Model {
        var rng = SeededGenerator(seed: seed &+ 1000)
        let inputs = rng.gaussians(samples * widths[0])
        let calibration = calibrationSamples > 0 ? rng.gaussians(calibrationSamples * widths[0]) : nil
        return GraphExperiment.Model(name: widths.map(String.init).joined(separator: "-"),
                                     network: GraphNetwork.randomPerceptron(widths: widths, seed: seed),
                                     inputs: inputs, samples: samples, calibration: calibration,
                                     calibrationSamples: calibration == nil ? 0 : calibrationSamples)
    }

    /// One measurement.
    public struct Row: Sendable {
        /// Model name.
        public var model: String
        /// Format name.
        public var format: String
        /// Method name (``QuantizationMethodCatalog``).
        public var method: String
        /// Storage bits per weight including scales (``Evaluation/bitsPerWeight(format:method:graph:)``).
        public var bitsPerWeight: Double?
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
        var lines = ["model,format,method,bits_per_weight,rescaled,l2_path_metric,relative_l2_path_metric,output_relative_error,"
                     + "accuracy,float_accuracy,sweeps,seconds"]
        for r in rows {
            lines.append([r.model, r.format, r.method, r.bitsPerWeight.map { "\($0)" } ?? "", r.rescaled ? "yes" : "no", "\(r.l2PathMetric)",
                          "\(r.relativeL2PathMetric)", "\(r.outputRelativeError)", r.accuracy.map { "\($0)" } ?? "",
                          r.floatAccuracy.map { "\($0)" } ?? "", "\(r.sweeps)", "\(r.seconds)"]
                .joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
