import Foundation
import Testing
@testable import ScaleQuant

/// The rank-one problems of the reference anchor script, with lazylinop 1.24.28's errors
/// (`scripts/make_rank1_anchor_fixtures.sh`): our optimum must never be worse, and our RTN must agree with theirs.
@Suite("Rank-one: against lazylinop's qrank_one")
struct RankOneAnchorTests {
    struct Row { let caseName: String, fmt: String, m: Int, rtn: Double, opt: Double }

    static let directory: String = {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("rank1_anchor").path
    }()

    static let rows: [Row] = {
        guard let data = FileManager.default.contents(atPath: directory + "/manifest.json"),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rows = root["rows"] as? [[String: Any]] else { return [] }
        return rows.compactMap { r in
            guard let c = r["case"] as? String, let f = r["fmt"] as? String, let m = r["m"] as? Int,
                  let rtn = r["rtn"] as? Double, let opt = r["opt"] as? Double else { return nil }
            return Row(caseName: c, fmt: f, m: m, rtn: rtn, opt: opt)
        }
    }()

    /// Our name for lazylinop's format name (tK = K stored bits = F_(K+1)).
    static func ourFormat(_ f: String) -> String {
        switch f {
        case "float16": return "fp16"
        case "bfloat16": return "bf16"
        case "float8_e4m3fn": return "e4m3"
        case "float8_e5m2": return "e5m2"
        default: return "p=\(Int(f.dropFirst())! + 1)"
        }
    }

    @Test("fixtures are present")
    func present() { #expect(Self.rows.count == 90) }

    @Test("never worse than lazylinop; identical RTN", arguments: ["float16", "bfloat16", "float8_e4m3fn", "float8_e5m2",
                                                                   "t2", "t3", "t4", "t5", "t7", "t10"])
    func neverWorse(format: String) throws {
        let grid = try FormatCatalog.grid(named: Self.ourFormat(format))
        var strictlyBetter = 0
        for row in Self.rows where row.fmt == format {
            let x = try NPY.read(Self.directory + "/\(row.caseName)_x.npy").values
            let y = try NPY.read(Self.directory + "/\(row.caseName)_y.npy").values
            let r = try RankOne.quantize(x: x, y: y, grid: grid)
            #expect(abs(r.rtnRelativeError - row.rtn) <= 1e-12 * row.rtn, "\(row.caseName) \(format): RTN differs")
            #expect(r.relativeError <= row.opt * (1 + 1e-9), "\(row.caseName) \(format): \(r.relativeError) > \(row.opt)")
            if r.relativeError < row.opt * (1 - 1e-9) { strictlyBetter += 1 }
        }
        // lazylinop is exact on tK (chop) grids, so there we must tie; it misses pieces on dtype targets.
        if format.hasPrefix("t") { #expect(strictlyBetter == 0) }
    }
}
