#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The exact rank-one solves of butterfly quantization, with a shortcut for bounded floating-point formats.
///
/// Every finite value of a float format with precision p (normal, subnormal, ±max) has at most p significant
/// bits, so the format's grid G is a subset of the idealized grid F_p. Hence min over G ≥ min over F_p, and if
/// the F_p optimum (x̂, ŷ), rebalanced to (2^e·x̂, 2^−e·ŷ) (same product), lies in G, it is also the exact optimum
/// over G. The F_p problem is periodic in the scale and much cheaper to solve than the bounded one (bf16 has 254
/// binades), so we solve it first, try the few rebalancings e near the balanced one, and fall back to solving
/// over G directly (``RankOne``) when none fits (vectors with a huge dynamic range, or near the format's limits).
/// The same holds for the cosine problem of ``RankOne/quantizeKeepingY(x:grid:)`` (the cosine is
/// scale-invariant).
struct ButterflyRankOne: Sendable {
    /// The grid to round to.
    let grid: any NumberGrid
    /// F_p for a bounded float format, nil otherwise.
    let ideal: FloatFormat?

    init(grid: any NumberGrid) {
        self.grid = grid
        if let f = grid as? FloatFormat, !f.isIdealized { ideal = try? FloatFormat.idealized(precision: f.precision) }
        else { ideal = nil }
    }

    /// The exact minimizer of ‖xyᵀ − x̂ŷᵀ‖_F over the grid (x and y not all zero).
    func pair(_ x: [Double], _ y: [Double]) throws -> (xHat: [Double], yHat: [Double]) {
        if let ideal {
            let r = try RankOne.quantize(x: x, y: y, grid: ideal)
            let ax = maxAbs(r.xHat), ay = maxAbs(r.yHat)
            if ax > 0, ay > 0 {
                let e0 = Int(((log2(ay) - log2(ax)) / 2).rounded())
                for e in candidates(around: e0) {
                    let s = Double(sign: .plus, exponent: e, significand: 1)
                    let xs = r.xHat.map { $0 * s }, ys = r.yHat.map { $0 / s }
                    if onGrid(xs) && onGrid(ys) { return (xs, ys) }
                }
            }
        }
        let r = try RankOne.quantize(x: x, y: y, grid: grid)
        return (r.xHat, r.yHat)
    }

    /// x̂ on the grid maximizing the cosine with x, and μ = x·x̂/‖x̂‖² (x not all zero).
    func keepingY(_ x: [Double]) throws -> (xHat: [Double], mu: Double) {
        if let ideal {
            let r = try RankOne.quantizeKeepingY(x: x, grid: ideal)
            let ax = maxAbs(r.xHat)
            if ax > 0 {
                let e0 = Int((log2(maxAbs(x)) - log2(ax)).rounded())
                for e in candidates(around: e0) {
                    let s = Double(sign: .plus, exponent: e, significand: 1)
                    let xs = r.xHat.map { $0 * s }
                    if onGrid(xs) { return (xs, r.mu / s) }
                }
            }
        }
        let r = try RankOne.quantizeKeepingY(x: x, grid: grid)
        return (r.xHat, r.mu)
    }

    private func candidates(around e0: Int) -> [Int] {
        [e0, e0 - 1, e0 + 1, e0 - 2, e0 + 2, e0 - 4, e0 + 4, e0 - 8, e0 + 8]
    }

    private func onGrid(_ v: [Double]) -> Bool { v.allSatisfy { $0.isFinite && grid.round($0) == $0 } }

    private func maxAbs(_ v: [Double]) -> Double { v.reduce(0) { max($0, abs($1)) } }
}
