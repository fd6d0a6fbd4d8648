import ArgumentParser
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

/// Where a loaded model came from: a tensor file (a perceptron, written back with its names and dtype) or a
/// graph spec (written back as a spec and its weights).
enum ModelLayout {
    /// A `.safetensors` / `.npz` file of PyTorch tensors.
    case tensors(NetworkLayout)
    /// A `.json` graph spec and its weights.
    case graph(GraphLayout)
}

/// The model option shared by every command that reads a network (pathnorm, compare, evaluate, quantize):
/// `--spec`, the layer names of a tensor file; and the one loader of the one network model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "JSON layer-name spec for a .safetensors/.npz model: {\"layers\":[{\"weight\":…,\"bias\":…}]}.")
    var spec: String?

    /// Loads `path`: a graph spec (`.json`, batch norm not folded yet) or a perceptron from a tensor file (named by
    /// `--spec` or the `nn.Sequential` convention), errors as CLIError.
    func load(_ path: String) throws -> (network: GraphNetwork, layout: ModelLayout) {
        if isGraphSpec(path) {
            try requireNoSpec()
            let (g, layout) = try loadGraph(path)
            return (g, .graph(layout))
        }
        let (g, layout) = try loadNetwork(path, specPath: spec)
        return (g, .tensors(layout))
    }

    /// Refuses `--spec` beside a graph spec, which describes itself.
    func requireNoSpec() throws {
        if spec != nil { throw CLIError("--spec names MLP layers; a graph spec (.json) describes itself") }
    }
}
