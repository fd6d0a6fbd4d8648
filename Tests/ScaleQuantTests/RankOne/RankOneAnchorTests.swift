import Foundation
import Testing
@testable import ScaleQuant

/// The rank-one problems of the reference anchor script, with lazylinop 1.24.28's errors
/// (`scripts/make_rank1_anchor_fixtures.sh`): our optimum must never be worse, and our RTN must agree with theirs.
@Suite("Rank-one: against lazylinop's qrank_one")
struct RankOneAnchorTests {
    struct Row { let caseName: String, fmt: String, m: Int, rtn: Double, opt: Double }

    /// The manifest's rows, or why they could not be read (a missing or malformed manifest fails every test here).
    static let manifest: Result<[Row], FixtureError> = Result {
        let file = try TestFixtures.path("rank1_anchor", "manifest.json")
        guard let data = FileManager.default.contents(atPath: file),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rows = root["rows"] as? [[String: Any]] else { throw FixtureError("\(file): no 'rows' array") }
        return try rows.enumerated().map { k, r in
            guard let c = r["case"] as? String, let f = r["fmt"] as? String, let m = r["m"] as? Int,
                  let rtn = r["rtn"] as? Double, let opt = r["opt"] as? Double else {
                throw FixtureError("\(file): row \(k) lacks case, fmt, m, rtn or opt")
            }
            return Row(caseName: c, fmt: f, m: m, rtn: rtn, opt: opt)
        }
    }.mapError { $0 as? FixtureError ?? FixtureError("\($0)") }

    static func rows() throws -> [Row] { try manifest.get() }

    /// One of a case's vectors (`x` or `y`); throws, naming the path, if the file is missing.
    static func vector(_ row: Row, _ side: String) throws -> [Double] {
        try NPY.read(TestFixtures.path("rank1_anchor", "\(row.caseName)_\(side).npy")).values
    }

    static let formats = ["float16", "bfloat16", "float8_e4m3fn", "float8_e5m2", "t2", "t3", "t4", "t5", "t7", "t10"]

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

    /// 3 sizes × 3 trials for each of the 10 formats, and every case's vectors on disk.
    @Test("fixtures are present")
    func present() throws {
        let rows = try Self.rows()
        #expect(rows.count == 90)
        #expect(Set(rows.map(\.fmt)) == Set(Self.formats))
        for name in Set(rows.map(\.caseName)) {
            for side in ["x", "y"] { _ = try TestFixtures.path("rank1_anchor", "\(name)_\(side).npy") }
        }
    }

    @Test("never worse than lazylinop; identical RTN", arguments: formats)
    func neverWorse(format: String) throws {
        let grid = try FormatCatalog.grid(named: Self.ourFormat(format))
        let rows = try Self.rows().filter { $0.fmt == format }
        try #require(rows.count == 9, "manifest.json has \(rows.count) rows for \(format), expected 9")
        var strictlyBetter = 0
        for row in rows {
            let x = try Self.vector(row, "x"), y = try Self.vector(row, "y")
            #expect(x.count == row.m, "\(row.caseName): x has \(x.count) entries, the manifest says m = \(row.m)")
            let r = try RankOne.quantize(x: x, y: y, grid: grid)
            #expect(abs(r.rtnRelativeError - row.rtn) <= 1e-12 * row.rtn, "\(row.caseName) \(format): RTN differs")
            #expect(r.relativeError <= row.opt * (1 + 1e-9), "\(row.caseName) \(format): \(r.relativeError) > \(row.opt)")
            if r.relativeError < row.opt * (1 - 1e-9) { strictlyBetter += 1 }
        }
        // lazylinop is exact on tK (chop) grids, so there we must tie; it misses pieces on dtype targets.
        if format.hasPrefix("t") { #expect(strictlyBetter == 0) }
    }
}
