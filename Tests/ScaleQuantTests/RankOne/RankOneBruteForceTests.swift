import Testing
@testable import ScaleQuant

/// Exhaustive minimum of ‖xyᵀ − x̂ŷᵀ‖_F / ‖xyᵀ‖_F over all of G^m × G^n (tiny grids and sizes only).
func bruteForceRankOne(_ x: [Double], _ y: [Double], _ gx: some NumberGrid, _ gy: some NumberGrid) -> Double {
    let vx = gx.nonNegativeValues()!, vy = gy.nonNegativeValues()!
    let sx = vx + vx.dropFirst().map { -$0 }, sy = vy + vy.dropFirst().map { -$0 }
    func all(_ vals: [Double], _ n: Int) -> [[Double]] {
        var out: [[Double]] = [[]]
        for _ in 0..<n { out = out.flatMap { p in vals.map { p + [$0] } } }
        return out
    }
    var best = Double.infinity
    let xs = all(sx, x.count), ys = all(sy, y.count)
    for xh in xs {
        for yh in ys {
            var e = 0.0
            for i in 0..<x.count { for j in 0..<y.count { let d = x[i] * y[j] - xh[i] * yh[j]; e += d * d } }
            best = min(best, e)
        }
    }
    let nx = x.reduce(0) { $0 + $1 * $1 }, ny = y.reduce(0) { $0 + $1 * $1 }
    return (best / (nx * ny)).squareRoot()
}

@Suite("Rank-one: exact optimum")
struct RankOneBruteForceTests {
    static let tinyGrids: [any NumberGrid] = [
        try! FloatFormat(name: "e2m1", exponentBits: 2, mantissaBits: 1, specials: .none),
        try! FloatFormat(exponentBits: 2, mantissaBits: 2, specials: .none),
        try! FloatFormat(exponentBits: 3, mantissaBits: 1, specials: .none),
        try! IntegerGrid(bits: 2),
        try! IntegerGrid(bits: 3),
    ]

    @Test("equals brute force over G^m × G^n", arguments: 0..<tinyGrids.count)
    func bruteForce(gridIndex: Int) throws {
        let grid = Self.tinyGrids[gridIndex]
        var rng = SeededGenerator(seed: 17 + UInt64(gridIndex))
        for trial in 0..<40 {
            let size = grid.positiveValueCount! * 2 + 1
            // As many coordinates as keep the enumeration under ~3·10^5 pairs.
            let m = size > 9 ? 1 + trial % 2 : 1 + trial % 3, n = size > 9 ? 1 + (trial / 2) % 2 : 1 + (trial / 3) % 3
            let scale = [0.01, 0.3, 1, 3, 40][trial % 5]
            let x = (0..<m).map { _ in rng.nextGaussian() * scale }
            let y = (0..<n).map { _ in rng.nextGaussian() }
            let r = try RankOne.quantize(x: x, y: y, grid: grid)
            let bf = bruteForceRankOne(x, y, grid, grid)
            #expect(abs(r.relativeError - bf) <= 1e-12 * max(1, bf), "\(grid) x=\(x) y=\(y): \(r.relativeError) vs \(bf)")
            #expect(r.xHat.allSatisfy { grid.round($0) == $0 })
            #expect(r.yHat.allSatisfy { grid.round($0) == $0 })
        }
    }
}
