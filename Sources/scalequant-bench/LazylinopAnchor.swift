import Foundation
import ScaleQuant

/// Runs the reference implementation (lazylinop's `qrank_one`, through `../shared/anchors/lazylinop_rank1.py`)
/// on the same inputs as our benchmark, in the same run.
///
/// The anchor venv is created by `bash ../shared/anchors/setup_venv.sh` (default `/tmp/anchors-venv`); set
/// `ANCHORS_PYTHON` and `ANCHORS_DIR` to point elsewhere. Without it the comparison is skipped with a message.
enum LazylinopAnchor {
    /// One lazylinop result: seconds of the lazylinop call, its exact relative error, and RTN's.
    struct Row { let seconds: Double; let error: Double; let rtn: Double }

    static var python: String {
        ProcessInfo.processInfo.environment["ANCHORS_PYTHON"] ?? "/tmp/anchors-venv/bin/python"
    }

    static var anchorsDir: String {
        if let d = ProcessInfo.processInfo.environment["ANCHORS_DIR"] { return d }
        // The package root is three levels above this file: Sources/scalequant-bench/LazylinopAnchor.swift.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/anchors").path
    }

    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: python)
            && FileManager.default.fileExists(atPath: anchorsDir + "/lazylinop_rank1.py")
    }

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
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [anchorsDir + "/lazylinop_rank1.py", "--x", dir + "/x.npy", "--y", dir + "/y.npy",
                           "--formats", names.map(\.1).joined(separator: ","), "--verify-max-m", "0",
                           "--max-candidates", "1e12", "--out-dir", dir + "/out"]
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
