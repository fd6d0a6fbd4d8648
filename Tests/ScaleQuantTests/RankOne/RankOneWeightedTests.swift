import Testing
@testable import ScaleQuant

@Suite("Rank-one: weighted form and keep-y variant")
struct RankOneWeightedTests {
    /// Exhaustive minimum of −2(a·x̂)(b·ŷ) + (c·x̂²)(d·ŷ²).
    func bruteForceWeighted(_ a: [Double], _ c: [Double], _ b: [Double], _ d: [Double], _ g: some NumberGrid) -> Double {
        let v = g.nonNegativeValues()!
        let vals = v + v.dropFirst().map { -$0 }
        func all(_ n: Int) -> [[Double]] {
            var out: [[Double]] = [[]]
            for _ in 0..<n { out = out.flatMap { p in vals.map { p + [$0] } } }
            return out
        }
        var best = 0.0
        let ys = all(b.count)
        for xh in all(a.count) {
            var s = 0.0, n = 0.0
            for k in 0..<a.count { s += a[k] * xh[k]; n += c[k] * xh[k] * xh[k] }
            for yh in ys {
                var t = 0.0, q = 0.0
                for j in 0..<b.count { t += b[j] * yh[j]; q += d[j] * yh[j] * yh[j] }
                best = min(best, -2 * s * t + n * q)
            }
        }
        return best
    }

    @Test("weighted optimum equals brute force on tiny grids")
    func weightedBruteForce() throws {
        let grids: [any NumberGrid] = [
            try FloatFormat(exponentBits: 2, mantissaBits: 1, specials: .none), try IntegerGrid(bits: 3),
        ]
        var rng = SeededGenerator(seed: 4242)
        for grid in grids {
            for trial in 0..<25 {
                let m = 1 + trial % 2, n = 1 + (trial / 2) % 3
                let a = (0..<m).map { _ in rng.nextGaussian() * 2 }, b = (0..<n).map { _ in rng.nextGaussian() }
                let c = (0..<m).map { _ in 0.1 + 3 * rng.nextUnit() }, d = (0..<n).map { _ in 0.1 + 3 * rng.nextUnit() }
                let r = try RankOne.solveWeighted(a: a, c: c, b: b, d: d, gridX: grid, gridY: grid)
                let bf = bruteForceWeighted(a, c, b, d, grid)
                #expect(abs(r.objective - bf) <= 1e-12 * max(1, abs(bf)), "\(grid) a=\(a) c=\(c) b=\(b) d=\(d)")
            }
        }
    }

    @Test("keep-y maximizes the cosine between x and x̂ over the whole λ family")
    func keepY() throws {
        var rng = SeededGenerator(seed: 99)
        for grid in [FormatCatalog.preset(named: "e4m3")!, try FloatFormat.idealized(precision: 3)] {
            for _ in 0..<8 {
                let x = (0..<(1 + Int(rng.next() % 9))).map { _ in rng.nextGaussian() }
                let r = try RankOne.quantizeKeepingY(x: x, grid: grid)
                func cos2(_ xh: [Double]) -> Double {
                    let s = zip(x, xh).reduce(0) { $0 + $1.0 * $1.1 }
                    let n = xh.reduce(0) { $0 + $1 * $1 }
                    return n == 0 ? 0 : s * s / n
                }
                let ours = cos2(r.xHat)
                // Dense scan over λ.
                var lambda = 1e-3, bestScan = 0.0
                while lambda < 1e4 { bestScan = max(bestScan, cos2(x.map { grid.round(lambda * $0) })); lambda *= 1.0007 }
                #expect(ours >= bestScan * (1 - 1e-14), "\(grid) \(x)")
                let s = zip(x, r.xHat).reduce(0) { $0 + $1.0 * $1.1 }, n = r.xHat.reduce(0) { $0 + $1 * $1 }
                #expect(abs(r.mu - s / n) <= 1e-15 * abs(r.mu))
            }
        }
    }

    @Test("mismatched lengths and bad weights are rejected")
    func badInput() {
        let g = FormatCatalog.preset(named: "e4m3")!
        #expect(throws: RankOneError.self) { try RankOne.solveWeighted(a: [1, 2], c: [1], b: [1], d: [1], gridX: g, gridY: g) }
        #expect(throws: RankOneError.self) { try RankOne.solveWeighted(a: [1], c: [0], b: [1], d: [1], gridX: g, gridY: g) }
        #expect(throws: RankOneError.self) { try RankOne.solveWeighted(a: [1], c: [1], b: [1], d: [-.infinity], gridX: g, gridY: g) }
    }
}
