import ArgumentParser
import ScaleQuant

/// `scalequant pathnorm MODEL`: the ℓ_q path-norm ‖Φ(θ)‖_q of a ReLU network (Gonon et al., arXiv 2310.01225).
struct PathnormCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pathnorm",
        abstract: "Print the l_q path-norm of a ReLU network (.safetensors or .npz with nn.Sequential names, "
            + "or a graph spec .json).",
        discussion: """
            The path-norm is ||Phi(theta)||_q over all input and bias paths, computed by one forward pass with \
            |W|^q, |b|^q on the all-ones input. It is invariant under rescaling of hidden neurons. \
            Graph specs (.json): batch norm is folded first, max-pooling counts as sum-pooling and average pooling \
            as a 1/k coefficient (Gonon et al., arXiv 2310.01225); prints path_norm, q, input_shape, parameters.
            """
    )

    @Argument(help: "The model file (.safetensors or .npz), or a graph spec (.json).")
    var model: String

    @Option(name: .long, help: "The exponent q >= 1 (default 1).")
    var q: Double = 1

    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "Print a JSON object.")
    var json = false

    func render() throws -> String {
        guard q >= 1, q.isFinite else { throw CLIError("--q must be a finite number >= 1, got \(q)") }
        let (net, layout) = try modelOptions.load(model)
        let norm: Double
        do { norm = try GraphPathLifting.pathNorm(try net.foldingBatchNorm(), q: q) } catch { throw CLIError("\(error)") }
        var pairs: [(String, JSONValue)] = [("path_norm", .number(norm)), ("q", .number(q))]
        if case .tensors = layout {
            pairs.append(("widths", .array((net.perceptronWidths ?? []).map { .integer($0) })))
        } else {
            pairs += [("input_shape", .array(net.inputShape.map { .integer($0) })),
                      ("parameters", .integer(net.parameterCount))]
        }
        return renderKeyValues(pairs, json: json)
    }

    func run() throws { emit(try render()) }
}
