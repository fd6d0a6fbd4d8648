import ArgumentParser
import ScaleQuant

/// `scalequant compare A B`: path-lifting distances between two networks of the same architecture, and output
/// errors on data.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two ReLU networks: l2 path-metric, l1 bound, certified output bound, output errors.",
        discussion: """
            l2_path_metric = ||Phi(A) - Phi(B)||_2 (exact); l1_path_metric_bound = ||Phi(max(|A|,|B|))||_1 - \
            ||Phi(min(|A|,|B|))||_1 (an upper bound on ||Phi(A) - Phi(B)||_1, valid when A and B agree in sign \
            entrywise, n/a otherwise); certified_output_bound = max(r, 1) * l1 bound bounds ||A(x) - B(x)||_1 \
            for every ||x||_inf <= r. With --data X.npy (shape [N, inputs]): output_relative_error (mean over \
            samples of ||A(x) - B(x)||_2 / ||A(x)||_2) and output_max_error (max over samples of the inf-norm). \
            Graph specs (.json, both): batch norms folded first; the l1 bound and the certified bound are taken \
            on the normal forms (rescaling-invariant); --data takes [N, C*H*W] or [N, C, H, W].
            """
    )

    @Argument(help: "The reference model.")
    var a: String

    @Argument(help: "The other model (same architecture).")
    var b: String

    @Option(name: .long, help: "Radius r of the input box ||x||_inf <= r for the certified bound (default 1).")
    var radius: Double = 1

    @Option(name: .long, help: "Inputs as .npy, shape [N, inputs].")
    var data: String?

    @Option(name: .long, help: "JSON layer-name spec (applies to both models).")
    var spec: String?

    @Flag(name: .long, help: "Print a JSON object.")
    var json = false

    func render() throws -> String {
        guard radius >= 0, radius.isFinite else { throw CLIError("--radius must be a finite number >= 0") }
        if isGraphSpec(a) || isGraphSpec(b) {
            guard isGraphSpec(a) && isGraphSpec(b) else {
                throw CLIError("compare a graph spec (.json) with another graph spec, not with an MLP file")
            }
            if spec != nil { throw CLIError("--spec names MLP layers; a graph spec (.json) describes itself") }
            let ga = try loadGraph(a).network, gb = try loadGraph(b).network
            let inputs = try data.map { try loadGraphInputs($0, graph: ga) }
            return renderKeyValues(try graphComparisonMetrics(reference: ga, other: gb, radius: radius, data: inputs),
                                   json: json)
        }
        let (na, _) = try loadNetwork(a, specPath: spec)
        let (nb, _) = try loadNetwork(b, specPath: spec)
        let inputs = try data.map { try loadInputs($0, inputs: na.inputSize) }
        return renderKeyValues(try comparisonMetrics(reference: na, other: nb, radius: radius, data: inputs), json: json)
    }

    func run() throws { emit(try render()) }
}
