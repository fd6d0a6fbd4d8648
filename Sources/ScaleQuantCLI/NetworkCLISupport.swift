import ScaleQuant

// Shared pieces of the network commands (pathnorm, compare, quantize, experiment networks): loading perceptrons
// with CLI errors, their comparison metrics, and key/value rendering.

/// Loads a perceptron from a `.safetensors` or `.npz` file, with an optional layer-name spec file, turning errors
/// into CLIError.
func loadNetwork(_ path: String, specPath: String? = nil) throws -> (network: GraphNetwork, layout: NetworkLayout) {
    do {
        let spec = try specPath.map(NetworkNameSpec.read)
        return try GraphNetwork.load(tensorFile: path, spec: spec)
    } catch let e as CLIError {
        throw e
    } catch {
        throw CLIError("\(error)")
    }
}

/// The comparison metrics of `compare` and `quantize` for two perceptrons of the same widths, in output order.
func comparisonMetrics(reference a: GraphNetwork, other b: GraphNetwork, radius: Double,
                       data: (values: [Double], batch: Int)?) throws -> [(String, JSONValue)] {
    guard a.perceptronWidths == b.perceptronWidths else {
        throw CLIError("the models have different architectures: \(a.perceptronWidths ?? []) vs \(b.perceptronWidths ?? [])")
    }
    return try graphComparisonMetrics(reference: a, other: b, radius: radius, data: data)
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
