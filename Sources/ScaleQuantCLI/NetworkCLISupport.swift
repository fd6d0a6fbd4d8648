import ScaleQuant

// Shared pieces of the network commands (pathnorm, compare, quantize, experiment networks): loading models with
// CLI errors, the comparison metrics, and key/value rendering.

/// Loads a `.safetensors` or `.npz` model, with an optional layer-name spec file, turning errors into CLIError.
func loadNetwork(_ path: String, specPath: String? = nil) throws -> (network: ReLUNetwork, layout: NetworkLayout) {
    do {
        let spec = try specPath.map(NetworkNameSpec.read)
        return try NetworkIO.load(path, spec: spec)
    } catch let e as CLIError {
        throw e
    } catch {
        throw CLIError("\(error)")
    }
}

/// The comparison metrics of `compare` and `quantize`, in output order.
func comparisonMetrics(reference a: ReLUNetwork, other b: ReLUNetwork, radius: Double,
                       data: (values: [Double], batch: Int)?) throws -> [(String, JSONValue)] {
    guard a.widths == b.widths else {
        throw CLIError("the models have different architectures: \(a.widths) vs \(b.widths)")
    }
    var out = PathMetrics(original: a, quantized: b, radius: radius).pairs
    if let data {
        let e = OutputError.measure(a, b, data.values, batch: data.batch)
        out.append(("samples", .integer(data.batch)))
        out.append(("output_relative_error", .number(e.meanRelative)))
        out.append(("output_max_error", .number(e.maxAbsolute)))
    }
    return out
}

/// Output errors of two networks on a batch.
enum OutputError {
    /// Mean over samples of ‖Δ‖₂/‖R_a(x)‖₂ (samples with a zero reference output are skipped) and the max over
    /// samples of ‖Δ‖_∞.
    static func measure(_ a: ReLUNetwork, _ b: ReLUNetwork, _ x: [Double], batch: Int)
        -> (meanRelative: Double, maxAbsolute: Double) {
        Evaluation.relativeError(reference: a.forward(x, batch: batch), b.forward(x, batch: batch), width: a.outputSize)
    }
}

/// Reads an input batch from a `.npy` file: shape `[N, inputs]` or `[inputs]`.
func loadInputs(_ path: String, inputs: Int) throws -> (values: [Double], batch: Int) {
    let array: NDArray
    do { array = try NPY.read(path) } catch { throw CLIError("\(error)") }
    if array.rank == 1, array.shape[0] == inputs { return (array.values, 1) }
    guard array.rank == 2, array.shape[1] == inputs else {
        throw CLIError("\(path): data has shape \(array.shape), expected [N, \(inputs)]")
    }
    if let i = array.values.firstIndex(where: { !$0.isFinite }) { throw CLIError("\(path): value \(i) is NaN or infinite") }
    return (array.values, array.shape[0])
}

/// `key: value` lines (numbers shortest round-trip; null as n/a), or one JSON object.
func renderKeyValues(_ pairs: [(String, JSONValue)], json: Bool) -> String {
    if json { return JSONValue.object(pairs).rendered() }
    let width = pairs.map(\.0.count).max() ?? 0
    return pairs.map { key, value in
        let text: String
        switch value {
        case .null: text = "n/a"
        case .string(let s): text = s
        default: text = value.rendered()
        }
        return key + String(repeating: " ", count: width - key.count) + "  " + text
    }.joined(separator: "\n")
}

extension PathMetrics {
    /// The metrics as the CLI prints them, in output order (a bound that does not exist is null).
    var pairs: [(String, JSONValue)] {
        [("l2_path_metric", .number(l2PathMetric)), ("relative_l2_path_metric", .number(relativeL2PathMetric)),
         ("l1_path_metric_bound", .nullable(l1PathMetricBound)),
         ("certified_output_bound", .nullable(certifiedOutputBound)), ("radius", .number(radius))]
    }
}
