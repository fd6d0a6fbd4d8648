import Testing
@testable import ScaleQuant

@Suite("Bounded-format shortcut of the butterfly rank-one solves")
struct ButterflyRankOneTests {
    func cosine(_ x: [Double], _ y: [Double]) -> Double {
        let d = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
        return d / (x.reduce(0) { $0 + $1 * $1 } * y.reduce(0) { $0 + $1 * $1 }).squareRoot()
    }

    @Test(arguments: ["e4m3", "bf16", "e2m1", "e5m2"])
    func sameOptimumAsTheBoundedSolver(format: String) throws {
        let grid = try FormatCatalog.grid(named: format)
        let solver = ButterflyRankOne(grid: grid)
        #expect(solver.ideal != nil)
        var rng = SeededGenerator(seed: 42)
        for trial in 0..<60 {
            let m = 1 + trial % 4, n = 1 + (trial / 4) % 3
            // Mostly moderate magnitudes, some spanning many binades (to exercise the fallback).
            let spread = trial % 5 == 0 ? 30.0 : 2.0
            let x = (0..<m).map { _ in rng.nextGaussian() * pow2(spread * (rng.nextUnit() - 0.5)) }
            let y = (0..<n).map { _ in rng.nextGaussian() * pow2(spread * (rng.nextUnit() - 0.5)) }
            let (xh, yh) = try solver.pair(x, y)
            #expect(xh.allSatisfy { grid.round($0) == $0 } && yh.allSatisfy { grid.round($0) == $0 })
            let direct = try RankOne.quantize(x: x, y: y, grid: grid)
            let ours = RankOne.relativeError(x, y, xh, yh)
            // Equal optima; the direct solver ranks candidates by the expanded objective, whose resolution is about
            // 1e-16 of ‖x‖²‖y‖², so it may return a near-tie (often with underflowed entries) up to that much worse.
            #expect(ours * ours <= direct.relativeError * direct.relativeError + 1e-14,
                    "\(format) trial \(trial): \(ours) vs \(direct.relativeError)")
            #expect(ours * ours >= direct.relativeError * direct.relativeError - 1e-14)
            let (kx, _) = try solver.keepingY(x)
            #expect(kx.allSatisfy { grid.round($0) == $0 })
            let dk = try RankOne.quantizeKeepingY(x: x, grid: grid)
            #expect(abs(cosine(x, kx) - cosine(x, dk.xHat)) < 1e-14)
        }
    }

    func pow2(_ e: Double) -> Double { Double(sign: .plus, exponent: Int(e.rounded()), significand: 1) }
}
