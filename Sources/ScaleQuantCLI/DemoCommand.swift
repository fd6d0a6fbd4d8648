import ArgumentParser
import Foundation
import ScaleQuant

/// `scalequant demo`: quantizes the bundled 64-32-10 digits MLP with every method at e2m1, e3m2, e4m3 and int4,
/// prints the comparison table and writes `scalequant-demo/report.html` (with results.json and results.csv).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Quantize the bundled digits MLP with every method and format; print a table, write a report.",
        discussion: """
            Resources are found relative to the source checkout (swift run always runs from one) or in \
            $SCALEQUANT_RESOURCES. Writes scalequant-demo/report.html, results.json and results.csv in the \
            current directory (or --output DIR).
            """
    )

    /// What the demo runs.
    struct Configuration {
        /// Model file name under `Resources/models`.
        var model = "digits_mlp_64_32_10.safetensors"
        /// Methods, in table order.
        var methods = ["rtn", "cle", "exact", "l2r", "cd"]
        /// Formats, in table order.
        var formats = ["e2m1", "e3m2", "e4m3", "int4"]
        /// Coordinate-descent sweeps at most.
        var maxSweeps = 20
        /// Use only the first `samples` test rows (nil: all).
        var samples: Int? = nil
    }

    @Option(name: .long, help: "Directory for report.html, results.json and results.csv.")
    var output = "scalequant-demo"

    @Flag(name: .long, help: "No progress indicator.")
    var quiet = false

    /// The `Resources/` directory: `$SCALEQUANT_RESOURCES`, else `<repository root>/Resources` from this file's path.
    static func resourcesDirectory(environment: [String: String] = ProcessInfo.processInfo.environment,
                                   filePath: String = #filePath) -> String {
        if let env = environment["SCALEQUANT_RESOURCES"], !env.isEmpty { return env }
        var url = URL(fileURLWithPath: filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // DemoCommand.swift, ScaleQuantCLI, Sources
        return url.appendingPathComponent("Resources").path
    }

    /// Runs the demo configuration and returns the report (the testable core).
    static func report(_ config: Configuration, resources: String = resourcesDirectory(),
                       progress: (Int, Int, String) -> Void = { _, _, _ in }) throws -> QuantizationReport {
        let modelPath = resources + "/models/" + config.model
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw CLIError("bundled model not found at \(modelPath): run from a checkout or set SCALEQUANT_RESOURCES "
                           + "to the Resources directory")
        }
        let (net, _) = try loadNetwork(modelPath)
        var data = try loadEvaluationData(inputs: resources + "/data/digits_test_x.npy",
                                          labels: resources + "/data/digits_test_y.npy", network: net)
        if let k = config.samples, k < data.count {
            data = EvaluationData(inputs: Array(data.inputs.prefix(k * net.inputSize)), count: k,
                                  labels: data.labels.map { Array($0.prefix(k)) })
        }
        var options = CoordinateDescentOptions()
        options.maxSweeps = config.maxSweeps
        do {
            return try QuantizationReport.run(network: net, title: config.model, methods: config.methods,
                                              formats: config.formats, data: data, options: options, progress: progress)
        } catch let e as CLIError { throw e } catch { throw CLIError("\(error)") }
    }

    /// The text printed by the demo for a report.
    static func render(_ report: QuantizationReport) -> String {
        ["ScaleQuant demo: optimal, rescaling-aware quantization of a ReLU network",
         "(relative l2 path-metric and certified bound (radius 1) are data-free; output error and accuracy on the "
            + "test split)", "", report.table()].joined(separator: "\n")
    }

    func run() throws {
        var progress = ProgressIndicator(quiet: quiet)
        let report = try Self.report(Configuration()) { progress.update($0, $1, $2) }
        progress.finish()
        emit(Self.render(report))
        let html = try writeReportFiles(report, directory: output)
        emit("\nwrote \(html) (and results.json, results.csv)")
    }
}
