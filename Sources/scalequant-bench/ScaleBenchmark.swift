import Foundation
import ScaleQuant

/// The real-size benchmark: the seeded scale models of `scripts/make_scale_models.py` (ResNet-20, ResNet-18 at
/// 32×32, MLPs of 0.2M, 1.5M and 8M parameters) quantized with each method and format, one child process per run
/// so that each run's peak memory is its own and a run that exceeds the time limit can be stopped.
///
///     scripts/venv-python scale scripts/make_scale_models.py          # writes .build/scale-models (once)
///     swift run -c release scalequant-bench scale [--models DIR] [--only a,b] [--methods rtn,cle,cd,data]
///         [--formats e4m3,int4] [--timeout SECONDS] [--max-sweeps N]
///
/// Per run it prints the quantization's wall time (loading and evaluation excluded), the child's peak resident
/// memory (loading included), the ℓ² path-metric and the mean relative output error against the float model on the
/// model's held inputs (`NAME_eval.npy`); calibrated methods get `NAME_calib.npy`. A run stopped at the time limit
/// prints `> LIMIT` and no figures.
enum ScaleBenchmark {
    static let benchmark = Benchmark(
        name: "scale",
        summary: "real-size models (scripts/make_scale_models.py): time, peak memory, path-metric, output error",
        run: { run(Array(CommandLine.arguments.dropFirst(2))) }
    )

    /// The models in the order the table lists them (those whose files are present are run).
    static let modelNames = ["mlp_0.2m", "mlp_1.5m", "mlp_8m", "resnet20", "resnet18"]

    /// The options of `scalequant-bench scale`.
    struct Options {
        var directory = ProcessInfo.processInfo.environment["SCALEQUANT_SCALE_MODELS"] ?? ".build/scale-models"
        var only: [String]? = nil
        var methods = ["rtn", "cle", "cd", "data"]
        var formats = ["e4m3", "int4"]
        var timeout = 1800.0
        var maxSweeps: Int? = nil

        /// Parses `--key value` pairs; nil with a message on stderr for anything else.
        init?(_ args: [String]) {
            var i = 0
            func value() -> String? {
                i += 1
                return i < args.count ? args[i] : nil
            }
            func list(_ s: String?) -> [String]? { s.map { $0.split(separator: ",").map(String.init) } }
            while i < args.count {
                let key = args[i]
                switch key {
                case "--models": guard let v = value() else { return nil }; directory = v
                case "--only": guard let v = list(value()) else { return nil }; only = v
                case "--methods": guard let v = list(value()) else { return nil }; methods = v
                case "--formats": guard let v = list(value()) else { return nil }; formats = v
                case "--timeout":
                    guard let v = value().flatMap(Double.init), v > 0 else { return nil }
                    timeout = v
                case "--max-sweeps":
                    guard let v = value().flatMap(Int.init), v > 0 else { return nil }
                    maxSweeps = v
                default:
                    FileHandle.standardError.write(Data("scale: unknown option '\(key)'\n".utf8))
                    return nil
                }
                i += 1
            }
        }
    }

    static func run(_ args: [String]) {
        guard let options = Options(args) else {
            print("usage: scalequant-bench scale [--models DIR] [--only a,b] [--methods m,…] [--formats f,…] "
                  + "[--timeout SECONDS] [--max-sweeps N]")
            return
        }
        let fm = FileManager.default
        let names = (options.only ?? modelNames).filter { name in
            modelFile(name, in: options.directory) != nil
                && fm.fileExists(atPath: "\(options.directory)/\(name)_eval.npy")
        }
        guard !names.isEmpty else {
            print("scale: no scale models in \(options.directory): run `scripts/venv-python scale "
                  + "scripts/make_scale_models.py` first (or give --models DIR)")
            return
        }
        print("models in \(options.directory); time limit \(Int(options.timeout)) s per run; "
              + "load at start: \(loadAverage())")
        var printer = RowPrinter(["model", "format", "method", "seconds", "peak MiB", "l2 path-metric",
                                  "output error", "sweeps"])
        for name in names {
            for format in options.formats {
                for method in options.methods {
                    var childArgs = ["scale-run", options.directory, name, format, method]
                    if let s = options.maxSweeps { childArgs.append(String(s)) }
                    let cells = runChild(childArgs, timeout: options.timeout)
                    printer.add([name, format, method] + cells)
                    let row = printer.rows.last!.joined(separator: "  ")
                    FileHandle.standardError.write(Data((row + "\n").utf8))
                }
            }
        }
        printer.print()
        print("load at end: \(loadAverage())")
    }

    /// `NAME.json` (graph spec) or `NAME.safetensors` (perceptron) in `directory`, if present.
    static func modelFile(_ name: String, in directory: String) -> String? {
        for ext in ["json", "safetensors"] {
            let path = "\(directory)/\(name).\(ext)"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// Runs this executable with `args`; the cells of its result line, or of the failure.
    static func runChild(_ args: [String], timeout: Double) -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = args
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { return ["failed: \(error)", "-", "-", "-", "-"] }
        let start = Date()
        while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(100_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return ["> \(Int(timeout))", "-", "-", "-", "-"]
        }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let cells = text.split(separator: "\n").last.map { $0.split(separator: "\t").map(String.init) } ?? []
        guard process.terminationStatus == 0, cells.count == 5 else {
            let message = text.split(separator: "\n").last.map(String.init) ?? ""
            FileHandle.standardError.write(Data("scale \(args.dropFirst(2).joined(separator: " ")): \(message)\n".utf8))
            return ["failed (see stderr)", "-", "-", "-", "-"]
        }
        return cells
    }

    /// `/proc/loadavg`'s first three fields (the figures `uptime` prints), or `?`.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
