import ArgumentParser
import ScaleQuant

/// `scalequant quantize MODEL --format F --method M -o OUT`: quantizes a ReLU network and writes it in the same
/// layout, then prints the `compare` metrics against the input.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a ReLU network (rtn, cle, exact, l2r, cd) and write it in the input's layout.",
        discussion: """
            Methods: rtn (round to nearest); cle (cross-layer equalization, then rtn); exact (global minimum of \
            the l2 path-metric; one hidden layer only); l2r (left to right: per neuron the cosine-optimal \
            scaling, pushed forward; last pair solved exactly); cd (exact coordinate descent on the l2 \
            path-metric, started from l2r). Integer formats without a step (int4, int8) get a per-layer step \
            max|W|/q taken from the input (rtn), the equalized network (cle), or the rescaling-invariant normal \
            form (exact, l2r, cd). The output keeps the input's tensor names and float dtype (FP8 codes for \
            e4m3/e5m2 in .safetensors) and records format, method and per-neuron scalings in __metadata__.
            """
    )

    @Argument(help: "The model file (.safetensors or .npz).")
    var model: String

    @Option(name: .long, help: "The weight format, e.g. e4m3, e2m1, int8 (see `scalequant formats`).")
    var format: String

    @Option(name: .customLong("bias-format"), help: "The bias format (default: the weight format).")
    var biasFormat: String?

    @Option(name: .long, help: "rtn, cle, exact, l2r or cd.")
    var method: String

    @Option(name: [.customShort("o"), .long], help: "The output file (.safetensors or .npz); never the input.")
    var output: String

    @Option(name: .long, help: "JSON layer-name spec for the input.")
    var spec: String?

    @Option(name: .long, help: "Inputs as .npy [N, inputs] for output errors.")
    var data: String?

    @Option(name: .customLong("max-sweeps"), help: "Coordinate-descent sweeps at most (default 50).")
    var maxSweeps: Int = 50

    @Flag(name: .long, help: "Print a JSON object.")
    var json = false

    /// A grid choice from a format name: `intN` without `@STEP` means a per-layer step.
    static func choice(_ name: String) throws -> GridChoice {
        let key = name.lowercased()
        if key.hasPrefix("int"), !key.contains("@"), let bits = Int(key.dropFirst(3)) {
            guard bits >= 2, bits <= 53 else { throw CLIError("integer formats need 2…53 bits, got \(bits)") }
            return .integerPerLayer(bits: bits)
        }
        return .fixed(try parseGrid(name))
    }

    func render() throws -> String {
        guard let m = NetworkQuantizationMethod(rawValue: method.lowercased()) else {
            throw CLIError("unknown method '\(method)': expected rtn, cle, exact, l2r or cd")
        }
        let (net, layout) = try loadNetwork(model, specPath: spec)
        let spec = NetworkGridSpec(weights: try Self.choice(format), biases: try biasFormat.map(Self.choice))
        var options = CoordinateDescentOptions()
        options.maxSweeps = max(1, maxSweeps)
        let result: NetworkQuantizationResult
        do {
            result = try NetworkQuantizer.quantize(net, method: m, grids: spec, options: options)
        } catch NetworkError.unsupported(let message) {
            throw CLIError(message)
        } catch {
            throw CLIError("\(error)")
        }
        let preferred: DType? = switch format.lowercased() {
        case "e4m3", "e4m3fn", "fp8_e4m3", "float8_e4m3fn": .float8E4M3FN
        case "e5m2", "fp8_e5m2", "float8_e5m2": .float8E5M2
        default: nil
        }
        let scalingsText = JSONValue.array(result.scalings.factors.map { .array($0.map { .number($0) }) }).rendered()
        var metadata = layout.metadata
        metadata["format"] = format
        metadata["bias_format"] = biasFormat ?? format
        metadata["method"] = m.rawValue
        metadata["scalings"] = scalingsText
        metadata["l2_path_metric"] = formatNumber(result.l2PathMetric)
        do {
            try NetworkIO.save(result.network, to: output, layout: layout, metadata: metadata, preferred: preferred,
                               refusingToOverwrite: [model])
        } catch {
            throw CLIError("\(error)")
        }
        let inputs = try data.map { try loadInputs($0, inputs: net.inputSize) }
        var pairs: [(String, JSONValue)] = [("method", .string(m.rawValue)), ("format", .string(format)),
                                            ("bias_format", .string(biasFormat ?? format)), ("output", .string(output))]
        pairs += try comparisonMetrics(reference: net, other: result.network, radius: 1, data: inputs)
        if m == .coordinateDescent { pairs.append(("sweeps", .integer(result.sweeps))) }
        return renderKeyValues(pairs, json: json)
    }

    func run() throws { emit(try render()) }
}
