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
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = config.maxSweeps
        do {
            return try QuantizationReport.run(graph: net, title: config.model, methods: config.methods,
                                              formats: config.formats, data: data, options: options) { done, total, label, _ in
                progress(done, total, label)
            }
        } catch let e as CLIError { throw e } catch { throw CLIError("\(error)") }
    }

    /// Values rounded in the formats section of the demo.
    static let sampleValues: [Double] = [0.1, -1.3, 2.5, 3.5, 0.0703125, 1000]
    /// Formats rounded to in the formats section.
    static let sampleFormats = ["e4m3", "bf16", "int4"]

    /// The number-formats section: the format table and a rounding table.
    static func formatsSection() throws -> String {
        var out: [String] = []
        out.append("Number formats (scalequant formats):")
        out.append(try FormatsCommand.table())
        out.append("")
        out.append("Rounding to nearest, ties to even, saturating at ±max finite (scalequant round):")
        var table = TextTable(headers: ["x"] + sampleFormats, rightAligned: [true] + sampleFormats.map { _ in true })
        let grids = try sampleFormats.map { name throws(CLIError) in try parseGrid(name) }
        let columns = grids.map { $0.round(sampleValues) }
        for (i, x) in sampleValues.enumerated() {
            table.rows.append([formatNumber(x)] + columns.map { formatNumber($0[i]) })
        }
        out.append(table.rendered())
        out.append("")
        return out.joined(separator: "\n")
    }

    /// The text printed by the demo for a report: the network table first, then the formats section.
    static func render(_ report: QuantizationReport) throws -> String {
        ["ScaleQuant demo: optimal, rescaling-aware quantization of a ReLU network",
         "(relative l2 path-metric and certified bound (radius 1) are data-free; output error and accuracy on the "
            + "test split; weight_rel_error is not rescaling-invariant)", "", report.table(), "",
         try formatsSection()].joined(separator: "\n")
    }

    /// The whole demo text with the default configuration.
    static func render() throws -> String { try render(try report(Configuration())) }

    func run() throws {
        var progress = ProgressIndicator(quiet: quiet)
        let report = try Self.report(Configuration()) { progress.update($0, $1, $2) }
        progress.finish()
        emit(try Self.render(report))
        let html = try writeReportFiles(report, directory: output)
        emit("\nwrote \(html) (and results.json, results.csv)")
    }
}
