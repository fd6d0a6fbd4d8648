import ArgumentParser
import ScaleQuant

/// `scalequant pathnorm MODEL`: the ℓ_q path-norm ‖Φ(θ)‖_q of a ReLU network (Gonon et al., arXiv 2310.01225).
struct PathnormCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pathnorm",
        abstract: "Print the l_q path-norm of a ReLU network (.safetensors or .npz, nn.Sequential names).",
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

    @Option(name: .long, help: "JSON file mapping tensor names to layers: {\"layers\":[{\"weight\":…,\"bias\":…}]}.")
    var spec: String?

    @Flag(name: .long, help: "Print a JSON object.")
    var json = false

    func render() throws -> String {
        guard q >= 1, q.isFinite else { throw CLIError("--q must be a finite number >= 1, got \(q)") }
        if isGraphSpec(model) {
            if spec != nil { throw CLIError("--spec names MLP layers; a graph spec (.json) describes itself") }
            let graph = try loadGraph(model).network
            let norm: Double
            do { norm = try GraphPathLifting.pathNorm(try graph.foldingBatchNorm(), q: q) } catch { throw CLIError("\(error)") }
            return renderKeyValues([("path_norm", .number(norm)), ("q", .number(q)),
                                    ("input_shape", .array(graph.inputShape.map { .integer($0) })),
                                    ("parameters", .integer(graph.parameterCount))], json: json)
        }
        let (net, _) = try loadNetwork(model, specPath: spec)
        let norm: Double
        do { norm = try GraphPathLifting.pathNorm(net, q: q) } catch { throw CLIError("\(error)") }
        let pairs: [(String, JSONValue)] = [("path_norm", .number(norm)), ("q", .number(q)),
                                            ("widths", .array((net.perceptronWidths ?? []).map { .integer($0) }))]
        return renderKeyValues(pairs, json: json)
    }

    func run() throws { emit(try render()) }
}
