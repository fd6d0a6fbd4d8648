import Foundation
import ScaleQuant

/// Where the Python comparison scripts and their environment are.
///
/// The scripts are the package's own (`scripts/anchor_rank1.py`, `scripts/bench_lazylinop_butterfly.py`), run in
/// the `anchors` environment of `scripts/venv-python` (or by `SCALEQUANT_PYTHON`); `ANCHORS_SCRIPTS` names another
/// scripts folder. The benchmarks never create the environment (a large download): without it the comparisons are
/// skipped with a message saying how to make it.
enum AnchorEnvironment {
    /// The package root: three levels above this file (Sources/scalequant-bench/LazylinopAnchor.swift), so the
    /// lookup does not depend on the current directory.
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// The interpreter of the `anchors` environment (`scripts/venv-python --print anchors`, which honours
    /// `SCALEQUANT_PYTHON`); empty if that cannot be asked.
    static let python: String = {
        let p = Process(), pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: packageRoot + "/scripts/venv-python")
        p.arguments = ["--print", "anchors"]
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return "" }
        p.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return p.terminationStatus == 0 ? text.trimmingCharacters(in: .whitespacesAndNewlines) : ""
    }()

    /// The folder holding the comparison scripts.
    static var scriptsDir: String {
        ProcessInfo.processInfo.environment["ANCHORS_SCRIPTS"] ?? packageRoot + "/scripts"
    }

    /// The path of one comparison script.
    static func script(_ name: String) -> String { scriptsDir + "/" + name }

    /// Whether the interpreter and the script exist; otherwise the reason, for a one-line note.
    static func missing(script name: String) -> String? {
        let fm = FileManager.default
        if !fm.isExecutableFile(atPath: python) {
            return "no anchors environment (make it with `scripts/venv-python anchors -c pass`, or set SCALEQUANT_PYTHON)"
        }
        if !fm.fileExists(atPath: script(name)) { return "\(script(name)) not found (set ANCHORS_SCRIPTS)" }
        return nil
    }
}

/// Runs the reference implementation (lazylinop's `qrank_one`, through the package's `scripts/anchor_rank1.py`)
/// on the same inputs as our benchmark, in the same run (environment: ``AnchorEnvironment``).
enum LazylinopAnchor {
    /// One lazylinop result: seconds of the lazylinop call, its exact relative error, and RTN's.
    struct Row { let seconds: Double; let error: Double; let rtn: Double }

    static let scriptName = "anchor_rank1.py"

    /// Why the comparison cannot run, or nil if it can.
    static var missingReason: String? { AnchorEnvironment.missing(script: scriptName) }

    static var isAvailable: Bool { missingReason == nil }

    /// lazylinop's name for one of our formats, if it has one.
    static func name(for format: String) -> String? {
        switch format {
        case "e4m3": return "float8_e4m3fn"
        case "e5m2": return "float8_e5m2"
        case "bf16", "bfloat16": return "bfloat16"
        case "fp16", "binary16": return "float16"
        default:
            // p=N on F_p is lazylinop's "t(N−1)" (N − 1 stored bits, chop rounding).
            if format.hasPrefix("p="), let p = Int(format.dropFirst(2)) { return "t\(p - 1)" }
            return nil
        }
    }

    /// Runs lazylinop on (x, y) for the given formats (our names); returns rows by our format name.
    static func run(x: [Double], y: [Double], formats: [String]) -> [String: Row] {
        let names = formats.compactMap { f in name(for: f).map { (f, $0) } }
        guard !names.isEmpty, isAvailable else { return [:] }
        let dir = NSTemporaryDirectory() + "scalequant-anchor-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try NPY.write(NDArray(vector: x), to: dir + "/x.npy")
            try NPY.write(NDArray(vector: y), to: dir + "/y.npy")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: AnchorEnvironment.python)
            p.arguments = [AnchorEnvironment.script(scriptName), "--x", dir + "/x.npy", "--y", dir + "/y.npy",
                           "--formats", names.map(\.1).joined(separator: ","), "--max-candidates", "1e12",
                           "--out-dir", dir + "/out"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/summary.json"))
            guard let rows = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [:] }
            var out: [String: Row] = [:]
            for (ours, theirs) in names {
                if let r = rows.first(where: { $0["fmt"] as? String == theirs }),
                   let t = r["time_s"] as? Double, let e = r["opt"] as? Double, let rtn = r["rtn"] as? Double {
                    out[ours] = Row(seconds: t, error: e, rtn: rtn)
                }
            }
            return out
        } catch {
            print("lazylinop anchor failed: \(error)")
            return [:]
        }
    }
}
