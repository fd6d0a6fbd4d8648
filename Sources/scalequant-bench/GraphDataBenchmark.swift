import Foundation
import ScaleQuant

/// The data-aware graph quantizer on the bundled digits CNN and ResNet (256 calibration images): its time, the
/// calibration errors it evaluates, the time per evaluation of the incremental state, and the ratio to one full
/// forward pass of the calibration batch, which a non-incremental evaluation would need per piece.
enum GraphDataBenchmark {
    static let benchmark = Benchmark(
        name: "graphdata",
        summary: "data-aware graph quantizer: incremental evaluations vs full forward passes (digits CNN, ResNet)",
        run: {
            // Optional: scalequant-bench graphdata FORMATS (comma-separated, default e4m3,int4)
            let args = Array(CommandLine.arguments.dropFirst(2))
            let formats = (args.first ?? "e4m3,int4").split(separator: ",").map(String.init)
            run(formats: formats)
        }
    )

    /// The package's `Resources` folder: `SCALEQUANT_RESOURCES`, else `./Resources`.
    static var resources: String {
        ProcessInfo.processInfo.environment["SCALEQUANT_RESOURCES"] ?? FileManager.default.currentDirectoryPath
            + "/Resources"
    }

    static func run(formats: [String]) {
        do {
            let calib = try NPY.read(resources + "/data/digits_calib_x.npy")
            let count = calib.shape[0]
            var printer = RowPrinter(["model", "format", "data s", "cd s", "evaluations", "µs/evaluation",
                                      "full forward µs", "forward / evaluation"])
            for name in ["digits_cnn", "digits_resnet"] {
                let graph = try GraphNetwork.load(spec: URL(fileURLWithPath: resources + "/models/\(name).json"))
                let folded = try graph.foldingBatchNorm()
                var sink = 0.0
                let forward = Timing.bestOf(5) {
                    sink += (try? folded.forward(calib.values, batch: count))?.first ?? 0
                }
                for format in formats {
                    let spec = try GraphGridSpec(format: format)
                    var options = GraphDataAwareOptions()
                    options.pathMetric.maxSweeps = 10
                    var result: GraphDataAwareResult?
                    let total = Timing.seconds {
                        result = try? GraphDataAwareQuantizer.quantize(graph, grids: spec, calibration: calib.values,
                                                                       count: count, options: options)
                    }
                    let cd = Timing.seconds {
                        sink += (try? GraphQuantizer.quantize(graph, method: .coordinateDescent, grids: spec,
                                                              options: options.pathMetric))?.l2PathMetric ?? 0
                    }
                    guard let result else { print("\(name) \(format): quantization failed"); continue }
                    let perEvaluation = (total - cd) / Double(max(result.evaluations, 1))
                    printer.add([name, format, String(format: "%.1f", total), String(format: "%.1f", cd),
                                 "\(result.evaluations)", String(format: "%.0f", perEvaluation * 1e6),
                                 String(format: "%.0f", forward * 1e6),
                                 String(format: "%.1f", forward / perEvaluation)])
                }
                var buffer = [sink]
                buffer.withUnsafeMutableBufferPointer { BlackHole.consume($0) }
            }
            printer.print()
            print("µs/evaluation = (data s − cd s) / evaluations: wall clock on both cores, starts and sorting included")
        } catch {
            print("graphdata: \(error) (run from the package root or set SCALEQUANT_RESOURCES)")
        }
    }
}
