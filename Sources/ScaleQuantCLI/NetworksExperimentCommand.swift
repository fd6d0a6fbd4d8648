import ArgumentParser
import ScaleQuant

/// `scalequant experiment networks`: every quantization method on every format for seeded random MLPs (or trained
/// models given with --model), on each network and a randomly rescaled copy; CSV output.
struct NetworksExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "networks",
        abstract: "Compare the quantization methods on random (or given) MLPs, with and without random rescaling.",
        discussion: """
            Default models: He-initialized 64-256-256-10 and 64-128-10 (seeded), 1000 seeded Gaussian inputs, and \
            the bundled digits MLPs (64-32-10, 64-64-32-10; test split, with accuracy; --no-digits leaves them out). \
            Formats default to e2m1,e3m2,e4m3,int4,int8 (integer formats: per-layer steps, see `quantize --help`). \
            Each network is also rescaled by factors drawn from {1,128,4096}; errors are always measured against \
            the original. Columns: model, format, method, bits_per_weight, rescaled, l2_path_metric, relative_l2_path_metric, \
            output_relative_error, accuracy, float_accuracy, sweeps, seconds.
            """
    )

    @Option(name: .long, help: "Comma-separated formats.")
    var formats = "e2m1,e3m2,e4m3,int4,int8"

    @Option(name: .long, help: ArgumentHelp("Comma-separated methods (rtn,cle,exact,l2r,cd,rtn-channel,gptq,data; data-free "
                                           + "ones may end in +bc). The calibrated ones use --calibration-samples rows."))
    var methods = "rtn,cle,exact,l2r,cd,rtn-channel,cle+bc,gptq"

    @Option(name: .long, help: "Comma-separated architectures of random models, e.g. 64-256-256-10,64-128-10.")
    var architectures = "64-256-256-10,64-128-10"

    @Option(name: .long, help: "A trained model to add (.safetensors/.npz); evaluated on --data if given.")
    var model: [String] = []

    @Option(name: .long, help: "Inputs (.npy [N, inputs]) for the --model entries.")
    var data: String?

    @Option(name: .long, help: "Integer class labels (.npy [N]) of --data, for the accuracy column.")
    var labels: String?

    @Flag(name: .customLong("digits"), inversion: .prefixedNo,
          help: "Include the bundled digits MLPs (evaluated on the bundled test split).")
    var digits = true

    @Option(name: .long, help: "Random input samples for the random models.")
    var samples = 1000

    @Option(name: .long, help: ArgumentHelp("Calibration rows of the calibrated methods: a separate seeded draw for the "
                                           + "random models and --model entries, the first rows of the bundled "
                                           + "calibration set for the digits MLPs."))
    var calibrationSamples = 256

    @OptionGroup var runOptions: ExperimentRunOptions

    func models() throws -> [GraphExperiment.Model] {
        var out: [GraphExperiment.Model] = []
        for (k, arch) in architectures.split(separator: ",").enumerated() {
            let widths = arch.split(separator: "-").compactMap { Int($0) }
            guard widths.count >= 2, widths.allSatisfy({ $0 > 0 }) else { throw CLIError("bad architecture '\(arch)'") }
            out.append(NetworkExperiment.randomModel(widths: widths, seed: runOptions.seed &+ UInt64(k), samples: samples,
                                                     calibrationSamples: calibrationSamples))
        }
        if digits {
            let resources = DemoCommand.resourcesDirectory()
            for name in ["digits_mlp_64_32_10", "digits_mlp_64_64_32_10"] {
                let path = resources + "/models/" + name + ".safetensors"
                guard FileManager.default.fileExists(atPath: path) else {
                    throw CLIError("bundled model not found at \(path): run from a checkout, set SCALEQUANT_RESOURCES "
                                   + "or pass --no-digits")
                }
                let (net, _) = try loadNetwork(path)
                let d = try loadEvaluationData(inputs: resources + "/data/digits_test_x.npy",
                                               labels: resources + "/data/digits_test_y.npy", network: net)
                let calib = try loadGraphInputs(resources + "/data/digits_calib_x.npy", graph: net)
                let n = min(calibrationSamples, calib.batch)
                out.append(.init(name: name, network: net, inputs: d.inputs, samples: d.count, labels: d.labels,
                                 calibration: Array(calib.values.prefix(n * net.inputSize)), calibrationSamples: n))
            }
        }
        for path in model {
            let (net, _) = try loadNetwork(path)
            var calibrationRNG = SeededGenerator(seed: runOptions.seed &+ 7)
            let calibration = calibrationRNG.gaussians(calibrationSamples * net.inputSize)
            if labels != nil && data == nil { throw CLIError("--labels needs --data") }
            if let data {
                let d = try loadEvaluationData(inputs: data, labels: labels, network: net)
                out.append(.init(name: path, network: net, inputs: d.inputs, samples: d.count, labels: d.labels,
                                 calibration: calibration, calibrationSamples: calibrationSamples))
            } else {
                var rng = SeededGenerator(seed: runOptions.seed)
                out.append(.init(name: path, network: net, inputs: rng.gaussians(samples * net.inputSize),
                                 samples: samples, calibration: calibration, calibrationSamples: calibrationSamples))
            }
        }
        return out
    }

    func render(progress: (String) -> Void = { _ in }) throws -> String {
        let ms = methods.split(separator: ",").map { $0.lowercased() }
        for name in ms where QuantizationMethodCatalog.named(name) == nil {
            throw CLIError("unknown method '\(name)': expected one of "
                           + QuantizationMethodCatalog.names(graphs: false).joined(separator: ", "))
        }
        guard calibrationSamples >= 1 else { throw CLIError("--calibration-samples must be at least 1") }
        let fs = formats.split(separator: ",").map(String.init)
        for f in fs { _ = try parseGridOrInteger(f) }
        let rows: [NetworkExperiment.Row]
        do {
            rows = try GraphExperiment.run(models: try models(), formats: fs, methods: ms, seed: runOptions.seed,
                                             maxSweeps: runOptions.maxSweeps) { progress(NetworkExperiment.csv([$0]).split(separator: "\n")[1] + "") }
        } catch let e as CLIError { throw e } catch { throw CLIError("\(error)") }
        return try runOptions.deliver(rows)
    }

    func parseGridOrInteger(_ f: String) throws -> GridChoice { try QuantizeCommand.choice(f) }

    func run() throws {
        emit(try render(progress: { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }))
    }
}

import Foundation
