import Testing
@testable import ScaleQuant

/// The best error over a dense geometric scan of λ (x̂ = Q(λx), ŷ = Q(μy) with the optimal μ).
func denseScanRankOne(_ x: [Double], _ y: [Double], _ grid: some NumberGrid, samples: Int = 4000) -> Double {
    let mx = x.map(abs).max()!
    var best = RankOne.relativeError(x, y, grid.round(x), grid.round(y))
    // From "everything rounds to zero" to "everything saturates", or 8 binades for F_p.
    let lo = grid.smallestPositive > 0 ? grid.smallestPositive / (4 * mx) : 1 / (8 * mx)
    let minAbs = x.filter { $0 != 0 }.map(abs).min()!
    let hi = grid.maxFinite.isFinite ? 2 * grid.maxFinite / minAbs : 32 / mx
    let ratio = Foundation_pow(hi / lo, 1 / Double(samples))
    var lambda = lo
    for _ in 0..<samples {
        let xh = x.map { grid.round(lambda * $0) }
        let s = zip(x, xh).reduce(0) { $0 + $1.0 * $1.1 }, n = xh.reduce(0) { $0 + $1 * $1 }
        if n > 0 {
            let yh = y.map { grid.round(s / n * $0) }
            best = min(best, RankOne.relativeError(x, y, xh, yh))
        }
        lambda *= ratio
    }
    return best
}

func Foundation_pow(_ a: Double, _ b: Double) -> Double {
    // exp(b·log a) via the generator's helpers would drag Foundation in; a short series is enough here.
    var r = 1.0, base = a, e = b
    // Split b into an integer part and a fraction handled by repeated square roots (test-only precision).
    var ip = e.rounded(.down)
    e -= ip
    while ip > 0 { r *= base; ip -= 1 }
    var root = base
    var frac = 0.5
    for _ in 0..<40 {
        root = root.squareRoot()
        if e >= frac { r *= root; e -= frac }
        frac /= 2
    }
    return r
}

@Suite("Rank-one: properties")
struct RankOnePropertyTests {
    static let grids: [any NumberGrid] = [
        try! FloatFormat.idealized(precision: 2), try! FloatFormat.idealized(precision: 4),
        try! FloatFormat.idealized(precision: 7),
        FormatCatalog.preset(named: "e4m3")!, FormatCatalog.preset(named: "e5m2")!,
        FormatCatalog.preset(named: "e2m1")!, FormatCatalog.preset(named: "e3m2")!,
        FormatCatalog.preset(named: "bf16")!, FormatCatalog.preset(named: "fp16")!,
        try! IntegerGrid(bits: 4), try! IntegerGrid(bits: 8, step: 0.1),
    ]

    @Test("never worse than a dense λ scan nor RTN", arguments: 0..<grids.count)
    func denseScan(gridIndex: Int) throws {
        let grid = Self.grids[gridIndex]
        var rng = SeededGenerator(seed: 100 + UInt64(gridIndex))
        for trial in 0..<6 {
            let m = 1 + Int(rng.next() % 16), n = 1 + Int(rng.next() % 16)
            let scale = [1e-3, 1.0, 50.0][trial % 3]
            let x = (0..<m).map { _ in rng.nextGaussian() * scale }
            let y = (0..<n).map { _ in rng.nextGaussian() }
            let r = try RankOne.quantize(x: x, y: y, grid: grid)
            #expect(r.relativeError <= r.rtnRelativeError * (1 + 1e-12), "\(grid): worse than RTN")
            let scan = denseScanRankOne(x, y, grid, samples: 1500)
            #expect(r.relativeError <= scan * (1 + 1e-12) + 1e-300, "\(grid) m=\(m) n=\(n): \(r.relativeError) > scan \(scan)")
        }
    }

    @Test("invariant under (x, y) → (cx, y/c)", arguments: 0..<grids.count)
    func rescalingInvariance(gridIndex: Int) throws {
        let grid = Self.grids[gridIndex]
        var rng = SeededGenerator(seed: 200 + UInt64(gridIndex))
        for _ in 0..<5 {
            let m = 1 + Int(rng.next() % 12), n = 1 + Int(rng.next() % 12)
            let x = (0..<m).map { _ in rng.nextGaussian() }
            let y = (0..<n).map { _ in rng.nextGaussian() }
            let base = try RankOne.quantize(x: x, y: y, grid: grid)
            for c in [0.37, 3.1, 1000.0 / 7, 1.0 / 4096] {
                let r = try RankOne.quantize(x: x.map { $0 * c }, y: y.map { $0 / c }, grid: grid)
                #expect(abs(r.relativeError - base.relativeError) <= 1e-9 * max(base.relativeError, 1e-300),
                        "\(grid) c=\(c): \(r.relativeError) vs \(base.relativeError)")
            }
        }
    }

    @Test("zero error when xyᵀ = abᵀ with a, b on the grid", arguments: 0..<grids.count)
    func exactOnGrid(gridIndex: Int) throws {
        let grid = Self.grids[gridIndex]
        var rng = SeededGenerator(seed: 300 + UInt64(gridIndex))
        var checked = 0
        for _ in 0..<5 {
            let m = 1 + Int(rng.next() % 10), n = 1 + Int(rng.next() % 10)
            let a = grid.round((0..<m).map { _ in rng.nextGaussian() * 2 })
            let b = grid.round((0..<n).map { _ in rng.nextGaussian() * 2 })
            guard a.contains(where: { $0 != 0 }), b.contains(where: { $0 != 0 }) else { continue }
            let c = 0.7310585786300049  // not a power of two
            let r = try RankOne.quantize(x: a.map { $0 / c }, y: b.map { $0 * c }, grid: grid)
            #expect(r.relativeError <= 1e-14, "\(grid): \(r.relativeError)")
            checked += 1
        }
        #expect(checked >= 3, "\(grid): only \(checked) of 5 draws had a nonzero a and b")
    }

    @Test("edge cases: zeros, single entries, bad input")
    func edgeCases() throws {
        let g = FormatCatalog.preset(named: "e4m3")!
        let z = try RankOne.quantize(x: [0, 0], y: [1, 2], grid: g)
        #expect(z.xHat == [0, 0] && z.relativeError == 0)
        let one = try RankOne.quantize(x: [0, 3.3, 0], y: [7.1], grid: g)
        #expect(one.xHat[0] == 0 && one.xHat[2] == 0)
        #expect(abs(one.relativeError - bruteForceRankOne([3.3], [7.1], g, g)) <= 1e-12)
        let exact = try RankOne.quantize(x: [0, 3.0, 0], y: [7.0], grid: g)
        #expect(exact.relativeError == 0)
        let huge = try RankOne.quantize(x: [1e300, -2e299], y: [1e-300, 3e-301], grid: g)
        #expect(huge.relativeError < 0.05 && huge.rtnRelativeError == 1)
        #expect(throws: RankOneError.self) { try RankOne.quantize(x: [], y: [1], grid: g) }
        #expect(throws: RankOneError.self) { try RankOne.quantize(x: [.nan], y: [1], grid: g) }
        #expect(throws: RankOneError.self) { try RankOne.quantize(x: [1], y: [.infinity], grid: g) }
    }
}

@Suite("Rank-one: choice among equally good answers")
struct RankOneTieTests {
    @Test("exact answers come back with balanced magnitudes, not at an extreme exponent")
    func balancedTies() throws {
        for name in ["e4m3", "bf16", "fp16", "p=5"] {
            let grid = try FormatCatalog.grid(named: name)
            let h = 0.5.squareRoot()
            let k = try RankOne.quantizeKeepingY(x: [h, -h, h, h], grid: grid)
            let m = k.xHat.map(abs).max()!
            #expect(m >= 1 && m < 2, "\(name): keep-y x̂ = \(k.xHat)")
            let r = try RankOne.quantize(x: [h, h], y: [h, -h], grid: grid)
            #expect(r.relativeError <= 1e-15)
            let mx = r.xHat.map(abs).max()!, my = r.yHat.map(abs).max()!
            #expect(abs(mx.exponent - my.exponent) <= 1, "\(name): x̂ = \(r.xHat), ŷ = \(r.yHat)")
        }
    }
}

@Suite("Rank-one: extreme inputs are solved or refused, never a crash")
struct RankOneExtremeTests {
    @Test("huge and tiny magnitudes")
    func extremes() throws {
        let p8 = try FloatFormat.idealized(precision: 8)
        // Found by fuzzing the C interface: [1e300, 1] used to return x̂ = 0 (error 1) although RTN does much
        // better; it is now refused (below), and a wide but representable range is solved.
        let r = try RankOne.quantize(x: [1e150, 1.0], y: [1, 1], grid: p8)
        #expect(r.relativeError <= r.rtnRelativeError && r.relativeError.isFinite)
        let small = try RankOne.quantize(x: [3e-200, -1e-199], y: [2, 5], grid: FloatFormat.idealized(precision: 3))
        #expect(small.relativeError <= small.rtnRelativeError)
        let bf = try RankOne.quantize(x: [1e30, 3e-30], y: [1e-20, 7], grid: FormatCatalog.preset(named: "bf16")!)
        #expect(bf.relativeError <= bf.rtnRelativeError)
    }

    @Test("out of range or over budget: a clear error")
    func refusals() {
        #expect(throws: RankOneError.self) {
            try RankOne.quantize(x: [1e308, Double.leastNormalMagnitude / 64], y: [1, 1], grid: FloatFormat.idealized(precision: 3))
        }
        #expect(throws: RankOneError.self) {
            try RankOne.quantize(x: [1e300, 1e-300], y: [1], grid: FormatCatalog.preset(named: "bf16")!)
        }
        #expect(throws: RankOneError.self) {
            try RankOne.quantize(x: [1e300, 1.0], y: [1, 1], grid: FloatFormat.idealized(precision: 8))
        }
        #expect(throws: RankOneError.self) {
            try RankOne.quantize(x: [Double.leastNormalMagnitude / 64, -Double.leastNormalMagnitude / 8], y: [2, 5], grid: FloatFormat.idealized(precision: 3))
        }
        #expect(throws: RankOneError.self) {
            try RankOne.quantize(x: [1, 2], y: [3, 4], grid: FormatCatalog.preset(named: "binary64")!)
        }
        #expect(throws: RankOneError.self) {
            try RankOne.quantize(x: [Double](repeating: 1.5, count: 64), y: [1], grid: FormatCatalog.preset(named: "binary32")!)
        }
    }
}
