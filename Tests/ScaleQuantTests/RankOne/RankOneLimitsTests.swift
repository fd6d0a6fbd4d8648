import Testing
@testable import ScaleQuant

/// The rank-one solver's one set of limits (`RankOne+Limits.swift`), as the solver, the C interface's rank-one and
/// chain functions, and the perceptron pre-check (``RankOneLimits``) apply them.
@Suite("Rank-one: one set of limits")
struct RankOneLimitsTests {
    @Test("extreme magnitudes are rebalanced exactly by the solver; oversized problems are refused")
    func limits() throws {
        let e4m3 = try FormatCatalog.grid(named: "e4m3")
        let x = [1.5, -0.375, 3.25], y = [0.7, 2.0]
        let plain = try RankOne.quantize(x: x, y: y, grid: e4m3)
        // x·2^600, y·2^−600: the same product, hence the same optimum, bit for bit.
        let big = try RankOne.quantize(x: x.map { $0 * 0x1p600 }, y: y.map { $0 * 0x1p-600 }, grid: e4m3)
        #expect(big.xHat == plain.xHat && big.yHat == plain.yHat && big.relativeError == plain.relativeError)
        let keep = try RankOne.quantizeKeepingY(x: x.map { $0 * 0x1p-700 }, grid: e4m3)
        #expect(keep.xHat == (try RankOne.quantizeKeepingY(x: x, grid: e4m3)).xHat)
        #expect(keep.mu > 0 && keep.mu.isFinite)
        let binary64 = try FormatCatalog.grid(named: "binary64")
        #expect(throws: RankOneError.self) { try RankOne.quantize(x: x, y: y, grid: binary64) }
        #expect(throws: RankOneError.self) { try RankOne.quantize(x: [1e300, 1e-300], y: y, grid: e4m3) }
        #expect(throws: RankOneError.self) { try RankOne.quantize(x: [1e300], y: [1e300], grid: e4m3) }
    }

    @Test("the pre-check refuses exactly the vectors every solve refuses, with the solver's messages")
    func preCheck() throws {
        let e4m3 = try FormatCatalog.grid(named: "e4m3"), binary64 = try FormatCatalog.grid(named: "binary64")
        let span = RankOne.maxBinadeSpan
        // The spread limit, at its edge: 2^span between the extreme magnitudes is accepted, one more binade is not.
        let edge = [1.0, Double(sign: .plus, exponent: -span, significand: 1)]
        let over = [1.0, Double(sign: .plus, exponent: -span - 1, significand: 1)]
        try RankOne.checkLimits(edge, grid: e4m3, name: "v")
        _ = try RankOne.quantize(x: edge, y: [1], grid: e4m3)
        #expect(throws: RankOneError.self) { try RankOne.checkLimits(over, grid: e4m3, name: "v") }
        #expect(throws: RankOneError.self) { try RankOne.quantize(x: over, y: [1], grid: e4m3) }
        // The budget per binade: binary64 has 2^52 boundaries per binade.
        #expect(throws: RankOneError.self) { try RankOne.checkLimits([1, 2], grid: binary64, name: "v") }
        do {
            try RankOne.checkLimits(over, grid: e4m3, name: "layer 0 neuron 1 incoming parameters")
        } catch let e as RankOneError {
            #expect(e.description.contains("layer 0 neuron 1 incoming parameters span") && e.description.contains("binades"))
            #expect(!e.description.contains("\n"))
        }
        // The perceptron pre-check of the C interface. Each parameter must lie within 2^±(span/2), so that a product of
        // two stays within the span (a spread over the whole span cannot occur there): 2^−(span+1) is refused naming
        // the layer and the limit; the solver's budget refusal (binary64) comes with the solver's own message.
        func perceptron(_ tiny: Double) throws -> GraphNetwork {
            try GraphNetwork.perceptron(widths: [2, 2, 1], weights: [[1, 0.5, 1, tiny], [1, 1]], biases: [[0, 0], [0]])
        }
        do {
            try perceptron(over[1]).checkRankOneLimits(grids: .uniform(weight: e4m3))
            Issue.record("a parameter of magnitude 2^\(-span - 1) was not refused")
        } catch GraphError.unsupported(let message) {
            #expect(message.contains("layer 0") && message.contains("2^±\(span / 2)") && !message.contains("\n"),
                    "\(message)")
        }
        do {
            try perceptron(0.25).checkRankOneLimits(grids: .uniform(weight: binary64))
            Issue.record("binary64 was not refused")
        } catch GraphError.unsupported(let message) {
            var solver = ""
            do { try RankOne.checkLimits([1, 0.5, 0], grid: binary64, name: "layer 0 neuron 0 incoming parameters") } catch {
                solver = "\(error)"
            }
            #expect(message.hasPrefix(solver) && !solver.isEmpty, "\(message) vs \(solver)")
        }
        try perceptron(0.25).checkRankOneLimits(grids: .uniform(weight: e4m3))
        // Zeros do not count: an all-zero vector passes.
        try RankOne.checkLimits([0, 0], grid: binary64, name: "v")
    }

    @Test("products beyond 2^±maxBinadeSpan are refused with a one-line message naming the magnitude")
    func productRange() throws {
        let p3 = try FloatFormat.idealized(precision: 3)
        let near = try RankOne.quantize(x: [0x1p-700], y: [0x1p500], grid: p3)
        #expect(near.relativeError == 0)
        do {
            _ = try RankOne.quantize(x: [0x1p500], y: [0x1p400], grid: p3)
            Issue.record("2^900 was not refused")
        } catch let e as RankOneError {
            #expect(e.description.contains("beyond the supported 2^±\(RankOne.maxBinadeSpan)"), "\(e)")
        }
    }
}
