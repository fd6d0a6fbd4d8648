import Testing
@testable import ScaleQuant

extension Baselines {
    /// ``ScaledGrid`` against the brute-force set {scale·g : g ∈ ±base}, and ``ScaledGrid/absmaxScale(_:base:)``.
    @Suite struct ScaledGridTests {
        static let scales: [Double] = [Double(Float(0.37)), Double(Float(3.1e-3)), 1, Double(Float(7.77)), 0x1p-9]

        @Test(arguments: ["e2m1", "e4m3"])
        func roundingAndNeighboursMatchBruteForce(format: String) throws {
            let base = try #require(FormatCatalog.preset(named: format))
            let positives = try #require(base.nonNegativeValues())
            for (t, scale) in Self.scales.enumerated() {
                let grid = try ScaledGrid(base: base, scale: scale)
                let values = (positives.dropFirst().reversed().map { -scale * $0 }) + positives.map { scale * $0 }
                let top = values.last!
                #expect(grid.maxFinite == top && grid.smallestPositive == scale * positives[1])
                let br = try #require(base.regularRange), gr = try #require(grid.regularRange)
                #expect(gr.lower == scale * br.lower && gr.upper == scale * br.upper)
                var rng = SeededGenerator(seed: UInt64(100 + t))
                var ties = 0
                for _ in 0..<10_000 {
                    let x = top * 1.2 * (2 * rng.nextUnit() - 1)
                    let d = values.map { abs(x - $0) }, best = d.min()!
                    let nearest = values.indices.filter { d[$0] == best }
                    let r = grid.round(x)
                    if nearest.count > 1 { ties += 1; #expect(nearest.map { values[$0] }.contains(r)); continue }
                    #expect(r == values[nearest[0]], "\(format) ×\(scale): x = \(x)")
                    #expect(grid.nextUp(x) == (values.first { $0 > x } ?? .infinity), "\(format) ×\(scale): x = \(x)")
                    #expect(grid.nextDown(x) == (values.last { $0 < x } ?? -.infinity), "\(format) ×\(scale): x = \(x)")
                }
                #expect(ties == 0)
                for (i, v) in values.enumerated() {
                    #expect(grid.round(v) == v)
                    #expect(grid.nextUp(v) == (i + 1 < values.count ? values[i + 1] : .infinity), "\(format) ×\(scale) at \(v)")
                    #expect(grid.nextDown(v) == (i > 0 ? values[i - 1] : -.infinity), "\(format) ×\(scale) at \(v)")
                }
                for x in [10 * top, .infinity, 1e300] {
                    #expect(grid.round(x) == top && grid.round(-x) == -top)
                }
            }
        }

        @Test func absmaxScaleIsTheSmallestFloat32ThatDoesNotClip() throws {
            var rng = SeededGenerator(seed: 3)
            for format in ["e2m1", "e4m3", "e5m2"] {
                let base = try #require(FormatCatalog.preset(named: format))
                for _ in 0..<500 {
                    let amax = Double(sign: .plus, exponent: Int(rng.next() % 40) - 20, significand: 1 + rng.nextUnit())
                    let s = ScaledGrid.absmaxScale(amax, base: base)
                    #expect(Double(Float(s)) == s, "\(format) amax \(amax)")
                    #expect(s * base.maxFinite >= amax, "\(format) amax \(amax)")
                    #expect(Double(Float(s).nextDown) * base.maxFinite < amax, "\(format) amax \(amax)")
                    let g = try ScaledGrid(base: base, scale: s)
                    #expect(g.round(amax) <= amax * (1 + base.unitRoundoff) && g.round(amax) >= amax * (1 - base.unitRoundoff))
                }
                #expect(ScaledGrid.absmaxScale(0, base: base) == 1)
            }
            #expect(ScaledGrid.absmaxScale(5, base: try FloatFormat.idealized(precision: 4)) == 1)
            #expect(throws: FormatError.self) { try ScaledGrid(base: FormatCatalog.preset(named: "e4m3")!, scale: 0) }
            #expect(throws: FormatError.self) { try ScaledGrid(base: FormatCatalog.preset(named: "e4m3")!, scale: 1e307) }
        }
    }
}
