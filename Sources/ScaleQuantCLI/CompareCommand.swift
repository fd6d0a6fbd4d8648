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

    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "Print a JSON object.")
    var json = false

    func render() throws -> String {
        guard radius >= 0, radius.isFinite else { throw CLIError("--radius must be a finite number >= 0") }
        let (na, la) = try modelOptions.load(a), (nb, lb) = try modelOptions.load(b)
        let inputs = try data.map { try loadGraphInputs($0, graph: na) }
        // Two tensor files are perceptrons: a mismatch is reported by their widths.
        let perceptrons: Bool
        if case .tensors = la, case .tensors = lb { perceptrons = true } else { perceptrons = false }
        let metrics = perceptrons ? comparisonMetrics : graphComparisonMetrics
        return renderKeyValues(try metrics(na, nb, radius, inputs), json: json)
    }

    func run() throws { emit(try render()) }
}
