/// Evaluation data for a network: inputs, and either class labels (classification) or float targets (regression).
public struct EvaluationData: Sendable {
    /// Inputs, row-major `count × inputs`.
    public var inputs: [Double]
    /// Number of samples.
    public var count: Int
    /// Class labels (one per sample), for accuracy.
    public var labels: [Int]?
    /// Regression targets, row-major `count × outputs`, for the relative error against the targets.
    public var targets: [Double]?

    /// Creates evaluation data.
    public init(inputs: [Double], count: Int, labels: [Int]? = nil, targets: [Double]? = nil) {
        self.inputs = inputs; self.count = count; self.labels = labels; self.targets = targets
    }

    /// Checks the data against a network.
    ///
    /// - Throws: ``EvaluationError`` when the input width, the number of labels or targets, or a label's range
    ///   does not fit `network`.
    public func validate(for network: ReLUNetwork) throws {
        guard count > 0, inputs.count == count * network.inputSize else {
            throw EvaluationError("inputs have \(inputs.count) values for \(count) samples; the model has \(network.inputSize) inputs")
        }
        if let labels {
            guard labels.count == count else {
                throw EvaluationError("\(labels.count) labels for \(count) input rows")
            }
            if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= network.outputSize }) {
                throw EvaluationError("label \(labels[bad]) at index \(bad) is out of range 0..<\(network.outputSize) (the model's outputs)")
            }
        }
        if let targets, targets.count != count * network.outputSize {
            throw EvaluationError("targets have \(targets.count) values, expected \(count)×\(network.outputSize)")
        }
    }
}

/// An evaluation-data mismatch, with a one-line message.
public struct EvaluationError: Error, CustomStringConvertible, Equatable {
    /// The message.
    public let description: String
    /// Creates an error.
    public init(_ message: String) { description = message }
}

/// Accuracy and output errors of networks on data.
public enum Evaluation {
    /// Predicted classes: argmax of each output row, ties to the first index. O(batch · P).
    public static func predictions(_ network: ReLUNetwork, _ inputs: [Double], batch: Int) -> [Int] {
        let y = network.forward(inputs, batch: batch)
        let m = network.outputSize
        return (0..<batch).map { s in
            var best = 0
            for o in 1..<max(m, 1) where y[s * m + o] > y[s * m + best] { best = o }
            return best
        }
    }

    /// Number of correct predictions on labelled data.
    public static func correct(_ network: ReLUNetwork, _ data: EvaluationData) -> Int {
        guard let labels = data.labels else { return 0 }
        return zip(predictions(network, data.inputs, batch: data.count), labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    }

    /// The fraction of rows whose argmax (ties to the first index) equals the label.
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` if the inputs do not match the graph.
    public static func accuracy(_ g: GraphNetwork, inputs: [Double], samples: Int, labels: [Int]) throws -> Double {
        let y = try g.forward(inputs, batch: samples)
        let width = g.outputSize
        guard samples > 0 else { return 0 }
        var correct = 0
        for s in 0..<samples {
            var best = 0
            for o in 1..<width where y[s * width + o] > y[s * width + best] { best = o }
            if s < labels.count && best == labels[s] { correct += 1 }
        }
        return Double(correct) / Double(samples)
    }

    /// correct / N on labelled data, `nil` without labels.
    public static func accuracy(_ network: ReLUNetwork, _ data: EvaluationData) -> Double? {
        guard data.labels != nil else { return nil }
        return Double(correct(network, data)) / Double(data.count)
    }

    /// Mean over samples of ‖R_a(x) − R_b(x)‖₂ / ‖R_a(x)‖₂ (samples with a zero reference output skipped) and
    /// max over samples of ‖R_a(x) − R_b(x)‖_∞.
    public static func outputError(_ a: ReLUNetwork, _ b: ReLUNetwork, _ x: [Double], batch: Int)
        -> (meanRelative: Double, maxAbsolute: Double) {
        relativeError(reference: a.forward(x, batch: batch), b.forward(x, batch: batch), width: a.outputSize)
    }

    /// Mean relative ℓ² row error of `other` against `reference` (both row-major with `width` columns), and the
    /// max absolute entry error.
    public static func relativeError(reference ya: [Double], _ yb: [Double], width m: Int)
        -> (meanRelative: Double, maxAbsolute: Double) {
        let batch = ya.count / max(m, 1)
        var sum = 0.0, counted = 0, worst = 0.0
        for s in 0..<batch {
            var d2 = 0.0, n2 = 0.0
            for o in 0..<m {
                let d = ya[s * m + o] - yb[s * m + o]
                d2 += d * d; n2 += ya[s * m + o] * ya[s * m + o]
                worst = max(worst, abs(d))
            }
            if n2 > 0 { sum += (d2 / n2).squareRoot(); counted += 1 }
        }
        return (counted > 0 ? sum / Double(counted) : 0, worst)
    }

    /// ‖θ̂ − θ‖₂ / ‖θ‖₂ over all weights and biases, for the parameters *as given*. Not rescaling-invariant: a
    /// rescaled copy of θ computes the same function but has a different weight-space error.
    public static func weightRelativeError(_ a: ReLUNetwork, _ b: ReLUNetwork) -> Double {
        var d2 = 0.0, n2 = 0.0
        for (la, lb) in zip(a.layers, b.layers) {
            for (x, y) in zip(la.weight, lb.weight) { d2 += (x - y) * (x - y); n2 += x * x }
            for (x, y) in zip(la.bias, lb.bias) { d2 += (x - y) * (x - y); n2 += x * x }
        }
        return n2 > 0 ? (d2 / n2).squareRoot() : 0
    }

    /// Per-layer shares of the ℓ² path-metric: with θ' the original rescaled to the quantized network's scale
    /// (``PathLifting/aligned(_:to:)``, same Φ), c_ℓ = ‖Φ(θ') − Φ(θ' with layer ℓ replaced by θ̂'s)‖₂², and the
    /// shares are c_ℓ / Σ c. (The c_ℓ do not add up to the full metric: layers interact; they say where the error
    /// comes from.) All zeros if every c_ℓ is 0. O(L · P).
    public static func layerShares(original: ReLUNetwork, quantized: ReLUNetwork) -> [Double] {
        let base = PathLifting.aligned(original, to: quantized)
        let c = quantized.layers.indices.map { l -> Double in
            var hybrid = base
            hybrid.layers[l] = quantized.layers[l]
            return PathLifting.squaredL2PathMetric(base, hybrid)
        }
        let total = c.reduce(0, +)
        return total > 0 ? c.map { $0 / total } : c.map { _ in 0 }
    }

    /// Storage bits per weight of a format name: e2m1 → 4 (1 + E + M for `eEmM`), intN → N, bf16/fp16 → 16,
    /// fp32 → 32, fp64 → 64, fp8 names → 8, `p=N`-style names → N; `nil` when unknown.
    public static func bitsPerWeight(format: String) -> Int? {
        let key = format.lowercased()
        let known: [String: Int] = ["bf16": 16, "bfloat16": 16, "fp16": 16, "float16": 16, "half": 16, "binary16": 16,
                                    "fp32": 32, "float32": 32, "binary32": 32, "single": 32, "tf32": 19,
                                    "fp64": 64, "float64": 64, "binary64": 64, "double": 64,
                                    "e4m3fn": 8, "e4m3fnuz": 8, "e5m2fnuz": 8, "fp8_e4m3": 8, "fp8_e5m2": 8,
                                    "float8_e4m3fn": 8, "float8_e5m2": 8, "float8_e4m3fnuz": 8, "float8_e5m2fnuz": 8]
        if let b = known[key] { return b }
        if key.hasPrefix("int") {
            let digits = key.dropFirst(3).prefix { $0.isNumber }
            return Int(digits)
        }
        if key.hasPrefix("e"), let m = key.firstIndex(of: "m"),
           let e = Int(key[key.index(after: key.startIndex)..<m]),
           let mm = Int(key[key.index(after: m)...].prefix { $0.isNumber }) {
            return 1 + e + mm
        }
        if let eq = key.firstIndex(of: "="), let n = Int(key[key.index(after: eq)...].prefix { $0.isNumber }) {
            return n
        }
        return nil
    }
}
