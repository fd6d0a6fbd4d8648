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
    public func validate(for network: GraphNetwork) throws {
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
    /// correct / N on labelled data, `nil` without labels.
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` if the inputs do not match the graph.
    public static func accuracy(_ g: GraphNetwork, _ data: EvaluationData) throws -> Double? {
        guard let labels = data.labels else { return nil }
        return try accuracy(g, inputs: data.inputs, samples: data.count, labels: labels)
    }

    /// Mean over samples of ‖R_a(x) − R_b(x)‖₂ / ‖R_a(x)‖₂ (samples with a zero reference output skipped) and
    /// max over samples of ‖R_a(x) − R_b(x)‖_∞.
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` if the inputs do not match the graphs.
    public static func outputError(_ a: GraphNetwork, _ b: GraphNetwork, _ x: [Double], batch: Int) throws
        -> (meanRelative: Double, maxAbsolute: Double) {
        relativeError(reference: try a.forward(x, batch: batch), try b.forward(x, batch: batch), width: a.outputSize)
    }

    /// The fraction of rows whose argmax (ties to the first index) equals the label.
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` if the inputs do not match the graph.
    public static func accuracy(_ g: GraphNetwork, inputs: [Double], samples: Int, labels: [Int]) throws -> Double {
        guard samples > 0 else { return 0 }
        let y = try g.forward(inputs, batch: samples)
        return Double(correct(outputs: y, width: g.outputSize, labels: labels)) / Double(samples)
    }

    /// The number of rows of `y` (row-major, `width` columns) whose argmax (ties to the first index) equals the
    /// label of the row (rows without a label count as wrong). O(y.count).
    public static func correct(outputs y: [Double], width: Int, labels: [Int]) -> Int {
        var correct = 0
        for s in 0..<(y.count / max(width, 1)) {
            var best = 0
            for o in 1..<max(width, 1) where y[s * width + o] > y[s * width + best] { best = o }
            if s < labels.count && best == labels[s] { correct += 1 }
        }
        return correct
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

    /// Storage bits per weight of a format name: e2m1 → 4 (1 + E + M for `eEmM`), intN → N, bf16/fp16 → 16,
    /// fp32 → 32, fp64 → 64, fp8 names → 8, `p=N`-style names → N; `nil` when unknown.
    /// A scale suffix (`/tensor`, `/ch`) is ignored: see ``bitsPerWeight(format:method:graph:)`` for the storage.
    public static func bitsPerWeight(format: String) -> Int? {
        var key = format.lowercased()
        if let slash = key.lastIndex(of: "/") { key = String(key[..<slash]) }
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

    /// Storage bits per weight of the conv2d/linear weights of `graph` quantized with a format and a method,
    /// **including the stored float32 scales**: the element bits, plus 32 per layer for per-layer steps or scales
    /// (`intN`, `NAME/tensor`), or 32 per output channel for per-channel ones (`NAME/ch`, method `rtn-channel`),
    /// divided by the number of weights. Fixed grids (`e4m3`, `int8@0.5`) store no scale. `nil` for unknown names.
    public static func bitsPerWeight(format: String, method: String, graph: GraphNetwork) -> Double? {
        guard let element = bitsPerWeight(format: format), var choice = try? GridChoice(format: format) else {
            return nil
        }
        if QuantizationMethodCatalog.named(method)?.perChannel == true, let c = choice.perChannel { choice = c }
        var weights = 0, scales = 0
        for node in graph.nodes where node.operation.isAffine {
            weights += node.weight.count
            if choice.scaleBits > 0 { scales += choice.isPerChannel ? node.operation.affineOutputs : 1 }
        }
        guard weights > 0 else { return Double(element) }
        return Double(element) + Double(scales * choice.scaleBits) / Double(weights)
    }
}

extension Evaluation {
    /// Per-node shares of the ℓ² path-metric of a graph: with θ' the (folded) original aligned to the quantized
    /// graph group by group (same Φ), c_n = ‖Φ(θ') − Φ(θ' with node n's parameters replaced by θ̂'s)‖₂² for every
    /// conv2d/linear node n, and the shares are c_n / Σ c (all zeros if every c_n is 0); they do not add up to the full metric
    /// (layers interact); they say where the error comes from. O(nodes · E).
    ///
    /// - Throws: ``GraphError`` if the graphs differ in structure or have batch normalization.
    public static func layerShares(original: GraphNetwork, quantized: GraphNetwork) throws -> [Double] {
        let base = try GraphPathLifting.aligned(original, to: quantized)
        var c: [Double] = []
        for n in base.nodes.indices where base.nodes[n].operation.isAffine {
            let hybrid = try base.settingParameters(ofNode: n, weight: quantized.nodes[n].weight,
                                                    bias: quantized.nodes[n].bias)
            c.append(try GraphPathLifting.squaredL2PathMetric(base, hybrid))
        }
        let total = c.reduce(0, +)
        return total > 0 ? c.map { $0 / total } : c.map { _ in 0 }
    }

    /// ‖θ̂ − θ‖₂/‖θ‖₂ over every weight and bias of two graphs of one structure, as given (not rescaling-invariant).
    /// O(P).
    public static func weightRelativeError(_ a: GraphNetwork, _ b: GraphNetwork) -> Double {
        var d2 = 0.0, n2 = 0.0
        for (x, y) in zip(a.nodes, b.nodes) {
            for (u, v) in zip(x.weight + x.bias, y.weight + y.bias) { d2 += (u - v) * (u - v); n2 += u * u }
        }
        return n2 > 0 ? (d2 / n2).squareRoot() : 0
    }
}

