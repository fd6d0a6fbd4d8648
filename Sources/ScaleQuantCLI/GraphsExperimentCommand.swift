import ArgumentParser
import Foundation
import ScaleQuant

/// `scalequant experiment graphs`: rtn, cle, cd and data on the bundled digits CNN and ResNet (or given graph
/// specs), on each model and a randomly rescaled copy; CSV output with the networks experiment's columns.
struct GraphsExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graphs",
        abstract: "Compare rtn, cle, cd and data on convolutional/residual networks, with and without random rescaling.",
        discussion: """
            Default models: the bundled digits_cnn and digits_resnet (Resources/models/*.json; batch norm folded), \
            evaluated on the bundled test split (Resources/data/digits_test_x.npy, 450 x 64 read as 450 x 1 x 8 x 8, \
            and digits_test_y.npy); method data calibrates on Resources/data/digits_calib_x.npy (256 images, \
            disjoint from the test split). Formats default to e2m1,e3m2,e4m3,int4,int8 (integer formats: per-node steps \
            max|.|/q from a reference graph, see `quantize --help`). Each model is also rescaled by factors drawn \
            from {1,128,4096} per channel group; errors are always measured against the original. Columns: model, \
            format, method, rescaled, l2_path_metric, relative_l2_path_metric, output_relative_error, accuracy, \
            float_accuracy, sweeps, seconds.
            """
    )

    @Option(name: .long, help: "Comma-separated formats.")
    var formats = "e2m1,e3m2,e4m3,int4,int8"

    @Option(name: .long, help: "Comma-separated methods (rtn,cle,cd,data,rtn-channel,gptq,…; data-free ones may end in +bc).")
    var methods = "rtn,cle,cd,data,rtn-channel,cle+bc,gptq"

    @Option(name: .long, help: "Comma-separated bundled models (digits_cnn,digits_resnet); empty for none.")
    var models = "digits_cnn,digits_resnet"

    @Option(name: .long, help: "A graph spec (.json) to add; evaluated on --data (and --labels) if given.")
    var model: [String] = []

    @Option(name: .long, help: "Inputs (.npy [N, C*H*W] or [N, C, H, W]) for the --model entries.")
    var data: String?

    @Option(name: .long, help: "Integer class labels (.npy [N]) of --data, for the accuracy column.")
    var labels: String?

    @Option(name: .long, help: "Random input samples for --model entries without --data.")
    var samples = 200

    @Option(name: .long, help: "Calibration inputs (.npy) of method data for the --model entries (default: --samples seeded random Gaussian inputs, drawn apart from the evaluation inputs).")
    var calib: String?

    @OptionGroup var runOptions: ExperimentRunOptions

    func experimentModels() throws -> [GraphExperiment.Model] {
        var out: [GraphExperiment.Model] = []
        let bundled = QuantizeCommand.list(models)
        if !bundled.isEmpty {
            let resources = DemoCommand.resourcesDirectory()
            for name in bundled {
                guard ["digits_cnn", "digits_resnet"].contains(name) else {
                    throw CLIError("unknown bundled graph '\(name)' (known: digits_cnn, digits_resnet); add other "
                                   + "graph specs with --model")
                }
                let path = resources + "/models/" + name + ".json"
                guard FileManager.default.fileExists(atPath: path) else {
                    throw CLIError("bundled model not found at \(path): run from a checkout, set SCALEQUANT_RESOURCES "
                                   + "or pass --models ''")
                }
                let graph = try loadGraph(path).network
                let x = try loadGraphInputs(resources + "/data/digits_test_x.npy", graph: graph)
                let y = try loadGraphLabels(resources + "/data/digits_test_y.npy", batch: x.batch)
                let c = try loadGraphInputs(resources + "/data/digits_calib_x.npy", graph: graph)
                out.append(.init(name: name, network: graph, inputs: x.values, samples: x.batch, labels: y,
                                 calibration: c.values, calibrationSamples: c.batch))
            }
        }
        if labels != nil && data == nil { throw CLIError("--labels needs --data") }
        for path in model {
            guard isGraphSpec(path) else { throw CLIError("\(path): --model takes graph specs (.json)") }
            let graph = try loadGraph(path).network
            var rng = SeededGenerator(seed: runOptions.seed)
            var entry: GraphExperiment.Model
            if let data {
                let x = try loadGraphInputs(data, graph: graph)
                let y = try labels.map { try loadGraphLabels($0, batch: x.batch) }
                entry = .init(name: path, network: graph, inputs: x.values, samples: x.batch, labels: y)
            } else {
                entry = .init(name: path, network: graph, inputs: rng.gaussians(samples * graph.inputSize),
                              samples: samples)
            }
            if let calib {
                let c = try loadGraphInputs(calib, graph: graph)
                (entry.calibration, entry.calibrationSamples) = (c.values, c.batch)
            } else {
                _ = rng.gaussians(samples * graph.inputSize)  // the evaluation draw, when there was none
                (entry.calibration, entry.calibrationSamples) = (rng.gaussians(samples * graph.inputSize), samples)
            }
            out.append(entry)
        }
        guard !out.isEmpty else { throw CLIError("no models: give --models or --model") }
        return out
    }

    func render(progress: (String) -> Void = { _ in }) throws -> String {
        let names = QuantizeCommand.list(methods).map { $0.lowercased() }
        for name in names where QuantizationMethodCatalog.named(name) == nil {
            throw CLIError("unknown method '\(name)': expected one of "
                           + QuantizationMethodCatalog.names(graphs: true).joined(separator: ", "))
        }
        let fs = QuantizeCommand.list(formats)
        guard !names.isEmpty, !fs.isEmpty else { throw CLIError("give at least one method and one format") }
        for f in fs { _ = try QuantizeCommand.choice(f) }
        _ = try runOptions.validated()
        let rows: [NetworkExperiment.Row]
        do {
            rows = try GraphExperiment.run(models: try experimentModels(), formats: fs, methods: names,
                                           seed: runOptions.seed, maxSweeps: runOptions.maxSweeps) { row in
                progress(String(NetworkExperiment.csv([row]).split(separator: "\n")[1]))
            }
        } catch let e as CLIError { throw e } catch { throw CLIError("\(error)") }
        return try runOptions.deliver(rows)
    }

    func run() throws {
        emit(try render(progress: { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }))
    }
}
