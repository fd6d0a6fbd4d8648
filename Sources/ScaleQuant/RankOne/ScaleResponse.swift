/// The "y side" of a (weighted) rank-one problem seen as a function of the scale μ applied to it.
///
/// For fixed x̂ the best ŷ is ŷ_j = Q(μ·s_j) with s = b/d and μ = S/N (science §2, weighted form), and the
/// objective only needs the two sums A(μ) = Σ b_j ŷ_j and B(μ) = Σ d_j ŷ_j². A response answers (A, B) for
/// any μ > 0, and says on which binades of μ it is *regular*: A(2μ) = 2A(μ), B(2μ) = 4B(μ).
protocol ScaleResponse: Sendable {
    /// (A(μ), B(μ)) for μ > 0.
    func evaluate(_ mu: Double) -> (a: Double, b: Double)
    /// Whether the binade [2^j, 2^(j+1)) of μ is regular (see the type's documentation).
    func isRegular(binade j: Int) -> Bool
    /// Precomputes what evaluation in these binades of μ needs.
    func prepare(binades: [Int])
}

extension ScaleResponse {
    func prepare(binades: [Int]) {}
}

/// The response of an unrounded y (the "keep y exact" variant of left-to-right butterfly quantization):
/// ŷ = μ·s, so A = μ·Σ d s², B = μ²·Σ d s², and the objective reduces to maximizing the cosine of x and x̂.
struct ExactResponse: ScaleResponse {
    /// Σ_j d_j s_j².
    let energy: Double
    func evaluate(_ mu: Double) -> (a: Double, b: Double) { (mu * energy, mu * mu * energy) }
    func isRegular(binade j: Int) -> Bool { true }
}

/// The response of y rounded to a grid: A and B are piecewise constant in μ with a breakpoint wherever some
/// μ·|s_j| crosses a rounding boundary. Breakpoints are tabulated binade by binade of μ with prefix sums, so one
/// evaluation is a binary search. Regular binades (every μ|s_j| inside the grid's regular range) are tabulated
/// once and the others mapped onto it by a power of two, which is exact.
///
/// Complexity: building a binade costs O(n·k log(n·k)) for k boundaries per coordinate in it (2^(p−1) for a float
/// format); evaluation O(log(n·k)). Memory: the binades built.
final class GridResponse<G: NumberGrid>: ScaleResponse, @unchecked Sendable {
    /// One tabulated binade: sorted breakpoints and the (A, B) values on each piece.
    struct Table {
        let start: Double
        let keys: [Double]
        /// values[i] is (A, B) after crossing keys[0..<i]; values[0] is at the start of the binade.
        let a: [Double]
        let b: [Double]
    }

    let grid: G
    /// |s_j| (non-zero only) and their weights d_j.
    let sigma: [Double]
    let weight: [Double]
    let sigmaMin: Double, sigmaMax: Double
    /// Below `zeroBelow` every ŷ_j is 0; above `saturatedAbove` every ŷ_j is ±max.
    let zeroBelow: Double
    let saturatedAbove: Double
    let saturated: (a: Double, b: Double)
    private var tables: [Int: Table] = [:]
    private var representative: Int?

    init(grid: G, sigma: [Double], weight: [Double]) {
        self.grid = grid
        self.sigma = sigma
        self.weight = weight
        sigmaMin = sigma.min() ?? 0
        sigmaMax = sigma.max() ?? 0
        let firstBoundary = grid.smallestPositive / 2
        zeroBelow = firstBoundary > 0 && sigmaMax > 0 ? firstBoundary / sigmaMax : 0
        if grid.maxFinite.isFinite && sigmaMin > 0 {
            let lastBoundary = grid.nextDown(grid.maxFinite) / 2 + grid.maxFinite / 2
            saturatedAbove = lastBoundary / sigmaMin
            var a = 0.0, b = 0.0
            for j in 0..<sigma.count {
                a += weight[j] * sigma[j] * grid.maxFinite
                b += weight[j] * grid.maxFinite * grid.maxFinite
            }
            saturated = (a, b)
        } else {
            saturatedAbove = .infinity
            saturated = (0, 0)
        }
    }

    func isRegular(binade j: Int) -> Bool {
        guard let r = grid.regularRange, sigmaMax > 0 else { return false }
        let lo = Double(sign: .plus, exponent: j, significand: 1)
        return lo * sigmaMin >= r.lower && 2 * lo * sigmaMax <= r.upper
    }

    /// Builds every binade in `binades` that evaluation will need, so that evaluation is read-only afterwards
    /// (and may run on several threads).
    func prepare(binades: [Int]) {
        for j in binades { _ = table(for: j) }
    }

    private func table(for j: Int) -> (Table, shift: Int) {
        if isRegular(binade: j) {
            if let r = representative { return (tables[r]!, j - r) }
            representative = j
        }
        if let t = tables[j] { return (t, 0) }
        let t = build(binade: j)
        tables[j] = t
        return (t, 0)
    }

    private func build(binade j: Int) -> Table {
        let lo = Double(sign: .plus, exponent: j, significand: 1)
        let hi = 2 * lo
        var sorter = BreakpointSorter()
        var a = 0.0, b = 0.0
        var current = [Double](repeating: 0, count: sigma.count)
        for k in 0..<sigma.count {
            let z = lo * sigma[k]
            let g = roundTiesDown(grid, z)
            current[k] = g
            a += weight[k] * sigma[k] * g
            b += weight[k] * g * g
            let s = sigma[k]
            grid.forEachBoundary(from: z, below: hi * s) { beta in sorter.append(beta / s, UInt32(k)) }
        }
        sorter.sort()
        let count = sorter.keys.count
        var keys = [Double](repeating: 0, count: count)
        var av = [Double](repeating: 0, count: count + 1)
        var bv = [Double](repeating: 0, count: count + 1)
        av[0] = a; bv[0] = b
        for i in 0..<count {
            let k = Int(sorter.payload[i])
            keys[i] = Double(bitPattern: sorter.keys[i])
            let g = current[k], g2 = grid.nextUp(g)
            current[k] = g2
            a += weight[k] * sigma[k] * (g2 - g)
            b += weight[k] * (g2 * g2 - g * g)
            av[i + 1] = a; bv[i + 1] = b
        }
        return Table(start: lo, keys: keys, a: av, b: bv)
    }

    func evaluate(_ mu: Double) -> (a: Double, b: Double) {
        if mu <= zeroBelow { return (0, 0) }
        if mu > saturatedAbove { return saturated }
        let j = Int(mu.exponent)
        let (t, shift) = tableReadOnly(for: j)
        let m = shift == 0 ? mu : Double(sign: .plus, exponent: -shift, significand: mu)
        // Number of breakpoints ≤ m.
        var lo = 0, hi = t.keys.count
        t.keys.withUnsafeBufferPointer { k in
            while lo < hi {
                let mid = (lo &+ hi) >> 1
                if k[mid] <= m { lo = mid &+ 1 } else { hi = mid }
            }
        }
        if shift == 0 { return (t.a[lo], t.b[lo]) }
        let s1 = Double(sign: .plus, exponent: shift, significand: 1)
        return (t.a[lo] * s1, t.b[lo] * s1 * s1)
    }

    /// The table of binade j, built on demand if `prepare` missed it (single-threaded use only then).
    private func tableReadOnly(for j: Int) -> (Table, shift: Int) {
        if isRegular(binade: j), let r = representative { return (tables[r]!, j - r) }
        if let t = tables[j] { return (t, 0) }
        return table(for: j)
    }
}

/// Rounds a non-negative z to the grid with ties going *down*: the value a magnitude has just before it crosses
/// the boundary z. Used to start a sweep exactly at a binade edge.
@inlinable
func roundTiesDown<G: NumberGrid>(_ grid: G, _ z: Double) -> Double {
    let g = grid.round(z)
    if g > z {
        let below = grid.nextDown(g)
        if below >= 0 && z - below == g - z { return below }
    }
    return g
}
