import ArgumentParser
import ScaleQuant

/// Loads evaluation data for `network`: inputs `[N, inputs]` and optional labels (`.npy`, integer dtype → class
/// labels; float dtype → regression targets `[N, outputs]` or `[N]` for one output), with clear errors.
func loadEvaluationData(inputs xPath: String, labels yPath: String?, network: GraphNetwork) throws -> EvaluationData {
    let x = try loadGraphInputs(xPath, graph: network)
    var data = EvaluationData(inputs: x.values, count: x.batch)
    if let yPath {
        let y: NDArray
        do { y = try NPY.read(yPath) } catch { throw CLIError("\(yPath): \(error)") }
        if y.dtype.isFloatingPoint {
            let m = network.outputSize
            guard (y.rank == 2 && y.shape == [x.batch, m]) || (y.rank == 1 && m == 1 && y.shape[0] == x.batch) else {
                throw CLIError("\(yPath): float targets have shape \(y.shape), expected [\(x.batch), \(m)] "
                               + "(integer labels give accuracy; float targets a regression error)")
            }
            if let i = y.values.firstIndex(where: { !$0.isFinite }) { throw CLIError("\(yPath): value \(i) is NaN or infinite") }
            data.targets = y.values
        } else {
            guard y.rank == 1 || (y.rank == 2 && y.shape[1] == 1) else {
                throw CLIError("\(yPath): labels have shape \(y.shape), expected [\(x.batch)]")
            }
            data.labels = y.values.map { Int($0) }
        }
    }
    do { try data.validate(for: network) } catch { throw CLIError("\(yPath ?? xPath): \(error)") }
    return data
}

/// `scalequant evaluate MODEL --data X.npy [--labels Y.npy]`: accuracy (integer labels), relative error (float
/// targets) or a summary of the outputs.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a ReLU network on data: accuracy, regression error or an outputs summary.",
        discussion: """
            --data X.npy has shape [N, inputs] (graph specs: [N, C*H*W] or [N, C, H, W]; batch norm folded). --labels Y.npy: integer labels [N] give accuracy = correct/N \
            (argmax, ties to the first index); float targets [N, outputs] give eval_relative_error (mean over \
            samples of ||y - R(x)||_2 / ||y||_2). Without labels: the mean, min and max of the outputs.
            """
    )

    @Argument(help: "The model file (.safetensors or .npz), or a graph spec (.json).")
    var model: String

    @Option(name: .long, help: "Inputs as .npy, shape [N, inputs].")
    var data: String

    @Option(name: .long, help: "Labels (integer, [N]) or targets (float, [N, outputs]) as .npy.")
    var labels: String?

    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "Print a JSON object.")
    var json = false

    func render() throws -> String {
        let net: GraphNetwork
        do { net = try modelOptions.load(model).network.foldingBatchNorm() } catch let e as CLIError { throw e } catch {
            throw CLIError("\(error)")
        }
        let d = try loadEvaluationData(inputs: data, labels: labels, network: net)
        var pairs: [(String, JSONValue)] = [("samples", .integer(d.count))]
        if let widths = net.perceptronWidths {
            pairs.append(("widths", .array(widths.map { .integer($0) })))
        } else {
            pairs.append(("input_shape", .array(net.inputShape.map { .integer($0) })))
        }
        let y: [Double]
        do { y = try net.forward(d.inputs, batch: d.count) } catch { throw CLIError("\(error)") }
        if let labels = d.labels {
            let c = Evaluation.correct(outputs: y, width: net.outputSize, labels: labels)
            pairs.append(("correct", .integer(c)))
            pairs.append(("accuracy", .number(Double(c) / Double(d.count))))
        } else if let t = d.targets {
            let e = Evaluation.relativeError(reference: t, y, width: net.outputSize)
            pairs.append(("eval_relative_error", .number(e.meanRelative)))
            pairs.append(("eval_max_error", .number(e.maxAbsolute)))
        } else {
            pairs.append(("outputs", .integer(net.outputSize)))
            pairs.append(("output_mean", .number(y.reduce(0, +) / Double(max(y.count, 1)))))
            pairs.append(("output_min", .nullable(y.min())))
            pairs.append(("output_max", .nullable(y.max())))
        }
        return renderKeyValues(pairs, json: json)
    }

    func run() throws { emit(try render()) }
}
