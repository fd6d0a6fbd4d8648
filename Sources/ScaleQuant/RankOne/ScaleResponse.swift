/// The "y side" of a (weighted) rank-one problem seen as a function of the scale μ applied to it.
///
/// For fixed x̂ the best ŷ is ŷ_j = Q(μ·s_j) with s = b/d and μ = S/N (science §2, weighted form), and the
/// objective only needs the two sums A(μ) = Σ b_j ŷ_j and B(μ) = Σ d_j ŷ_j². A response answers (A, B) for
/// any μ > 0, and says on which binades of μ it is *regular*: A(2μ) = 2A(μ), B(2μ) = 4B(μ).
protocol ScaleResponse: Sendable {
    /// (A(μ), B(μ)) for μ > 0. `hint` is a position from the previous call; consecutive calls with close μ are
    /// faster when it is passed back (start it at 0).
    func evaluate(_ mu: Double, hint: inout Int) -> (a: Double, b: Double)
    /// Whether the binade [2^j, 2^(j+1)) of μ is regular (see the type's documentation).
    func isRegular(binade j: Int) -> Bool
    /// The binade of λ where max|x̂| ≈ λ·rhoMax and max|ŷ| ≈ μ·max|s| ≈ max|s|/λ balance (the scale that the
    /// choice among equally good copies prefers).
    func balancedBinade(rhoMax: Double) -> Int
    /// log2 of max|ŷ| at scale μ, for the tie-break between equally good states.
    func logMagnitude(mu: Double) -> Double
}

/// The response of an unrounded y (the "keep y exact" variant of left-to-right butterfly quantization):
/// ŷ = μ·s, so A = μ·Σ d s², B = μ²·Σ d s², and the objective reduces to maximizing the cosine of x and x̂.
struct ExactResponse: ScaleResponse {
    /// Σ_j d_j s_j².
    let energy: Double
    @inline(__always)
    func evaluate(_ mu: Double, hint: inout Int) -> (a: Double, b: Double) { (mu * energy, mu * mu * energy) }
    func isRegular(binade j: Int) -> Bool { true }
    /// y is not rounded: balance means max|x̂| in [1, 2).
    func balancedBinade(rhoMax: Double) -> Int { Int((1 / rhoMax).exponent) }
    /// The unrounded side imposes no magnitude: only x̂'s own scale counts.
    func logMagnitude(mu: Double) -> Double { 0 }
}

/// The response of y rounded to a grid: A and B are piecewise constant in μ with a breakpoint wherever some
/// μ·|s_j| crosses a rounding boundary. Every binade of μ between "all ŷ_j are 0" and "all saturate" is tabulated
/// up front (sorted breakpoints with running sums, flattened into three arrays), except that all *regular*
/// binades (every μ|s_j| inside the grid's regular range) share one table, mapped by a power of two, which is
/// exact. Evaluation is then read-only: a galloping search from the previous position.
///
/// Complexity: building O(n·k·log) for k boundaries per coordinate over the tabulated binades (2^(p−1) per binade
/// for a float format); evaluation O(log d) where d is the distance from the hint. Memory O(n·k).
struct GridResponse: ScaleResponse {
    /// Sorted breakpoints of every table, concatenated.
    private let keys: [Double]
    /// (A, B) on each piece: table t occupies `ab[start[t] + t ..< start[t+1] + t + 1]` (one more than its keys).
    private let a: [Double]
    private let b: [Double]
    /// `start[t] ..< start[t+1]` are table t's keys.
    private let start: [Int]
    /// Binade of table 0 (tables are consecutive binades), and the regular binades with their shared table.
    private let firstBinade: Int
    private let regular: ClosedRange<Int>?
    private let regularTable: Int
    private let regularBase: Int
    private let zeroBelow: Double
    private let saturatedAbove: Double
    private let saturated: (a: Double, b: Double)
    private let regularCheck: (lower: Double, upper: Double)?
    private let sigmaMin: Double, sigmaMax: Double

    /// Tabulates the response of |s| = `sigma` (non-zero) with weights `weight` on `grid`.
    init<G: NumberGrid>(grid: G, sigma: [Double], weight: [Double]) {
        let sMin = sigma.min() ?? 0, sMax = sigma.max() ?? 0
        sigmaMin = sMin; sigmaMax = sMax
        regularCheck = grid.regularRange
        let firstBoundary = grid.smallestPositive / 2
        zeroBelow = firstBoundary > 0 && sMax > 0 ? firstBoundary / sMax : 0
        if grid.maxFinite.isFinite && sMin > 0 {
            let lastBoundary = grid.nextDown(grid.maxFinite) / 2 + grid.maxFinite / 2
            saturatedAbove = lastBoundary / sMin
            var sa = CompensatedSum(), sb = CompensatedSum()
            for j in 0..<sigma.count {
                sa.add(weight[j] * sigma[j] * grid.maxFinite)
                sb.add(weight[j] * grid.maxFinite * grid.maxFinite)
            }
            saturated = (sa.value, sb.value)
        } else {
            saturatedAbove = .infinity
            saturated = (0, 0)
        }
        // Binades to tabulate: from the one holding zeroBelow to the one holding saturatedAbove (F_p: any one).
        var lo: Int, hi: Int
        if zeroBelow > 0 && saturatedAbove.isFinite {
            lo = Int(zeroBelow.exponent); hi = Int(saturatedAbove.exponent)
        } else {
            lo = sMax > 0 ? Int((1 / sMax).exponent) : 0; hi = lo
        }
        func isRegularBinade(_ j: Int) -> Bool {
            guard let r = grid.regularRange, sMax > 0 else { return false }
            let l = Double(sign: .plus, exponent: j, significand: 1)
            return l * sMin >= r.lower && 2 * l * sMax <= r.upper
        }
        var regLo: Int?, regHi: Int?
        if !(zeroBelow > 0 && saturatedAbove.isFinite) {
            regLo = Int.min / 4; regHi = Int.max / 4   // F_p: every binade is regular
        } else {
            for j in lo...hi where isRegularBinade(j) {
                if regLo == nil { regLo = j }
                regHi = j
            }
        }
        regular = regLo.map { $0...regHi! }
        let base = regLo.map { Swift.max($0, lo) } ?? lo
        // Build: a table for every binade lo...hi (in parallel), except that a regular binade other than the
        // base one gets an empty placeholder (never read).
        let binades = Array(lo...hi)
        let reg = regular
        let tables = parallelMap(binades.count) { t -> (keys: [Double], a: [Double], b: [Double]) in
            let j = binades[t]
            if let r = reg, r.contains(j), j != base { return ([], [0], [0]) }
            return Self.table(grid: grid, sigma: sigma, weight: weight, binade: j)
        }
        var keys: [Double] = [], av: [Double] = [], bv: [Double] = []
        var start: [Int] = [0]
        if tables.count == 1 {
            (keys, av, bv) = tables[0]
            start.append(keys.count)
        } else {
            let total = tables.reduce(0) { $0 + $1.keys.count }
            keys.reserveCapacity(total); av.reserveCapacity(total + tables.count); bv.reserveCapacity(total + tables.count)
            for t in tables {
                keys.append(contentsOf: t.keys); av.append(contentsOf: t.a); bv.append(contentsOf: t.b)
                start.append(keys.count)
            }
        }
        self.keys = keys; self.a = av; self.b = bv; self.start = start
        firstBinade = lo
        regularBase = base
        regularTable = base - lo
    }

    /// The sorted breakpoints of binade j and (A, B) on each of its pieces.
    private static func table<G: NumberGrid>(grid: G, sigma: [Double], weight: [Double], binade j: Int)
        -> (keys: [Double], a: [Double], b: [Double]) {
        let l = Double(sign: .plus, exponent: j, significand: 1)
        var sorter = BreakpointSorter()
        var current = [Double](repeating: 0, count: sigma.count)
        var sa = CompensatedSum(), sb = CompensatedSum()
        for k in 0..<sigma.count {
            let s = sigma[k]
            let g = roundTiesDown(grid, l * s)
            current[k] = g
            sa.add(weight[k] * s * g)
            sb.add(weight[k] * g * g)
            grid.forEachBoundary(from: l * s, below: 2 * l * s) { beta, _ in sorter.append(beta / s, UInt32(k)) }
        }
        sorter.sort(binade: j)
        let count = sorter.entries.count
        var keys = [Double](repeating: 0, count: count)
        var av = [Double](repeating: 0, count: count + 1), bv = [Double](repeating: 0, count: count + 1)
        av[0] = sa.value; bv[0] = sb.value
        for (i, e) in sorter.entries.enumerated() {
            let k = Int(e.index), g = current[k], g2 = grid.nextUp(g)
            current[k] = g2
            sa.add(weight[k] * sigma[k] * (g2 - g))
            sb.add(weight[k] * (g2 * g2 - g * g))
            keys[i] = e.key
            av[i + 1] = sa.value; bv[i + 1] = sb.value
        }
        return (keys, av, bv)
    }

    func balancedBinade(rhoMax: Double) -> Int {
        guard sigmaMax > 0 else { return Int((1 / rhoMax).exponent) }
        return Int((sigmaMax / rhoMax).squareRoot().exponent)
    }

    func logMagnitude(mu: Double) -> Double { Double((mu * sigmaMax).exponent) }

    func isRegular(binade j: Int) -> Bool {
        guard let r = regularCheck, sigmaMax > 0 else { return false }
        let lo = Double(sign: .plus, exponent: j, significand: 1)
        return lo * sigmaMin >= r.lower && 2 * lo * sigmaMax <= r.upper
    }

    @inline(__always)
    func evaluate(_ mu: Double, hint: inout Int) -> (a: Double, b: Double) {
        if mu <= zeroBelow { return (0, 0) }
        if mu > saturatedAbove { return saturated }
        let j = Int(mu.exponent)
        var t = j &- firstBinade
        var shift = 0
        if let r = regular, j >= r.lowerBound && j <= r.upperBound {
            t = regularTable
            shift = j &- regularBase
        }
        // μ can only leave the tabulated range through rounding noise at its ends; clamp.
        t = Swift.max(0, Swift.min(t, start.count &- 2))
        let m = shift == 0 ? mu : mu * powerOfTwo(-shift)
        let lo = start[t], hi = start[t &+ 1]
        let pos = keys.withUnsafeBufferPointer { gallop($0, lo, hi, m, &hint) }
        let idx = pos &+ t
        if shift == 0 { return (a[idx], b[idx]) }
        let s1 = powerOfTwo(shift)
        return (a[idx] * s1, b[idx] * s1 * s1)
    }
}

/// The number of keys in `k[lo..<hi]` that are ≤ m, plus `lo`, found by galloping outwards from `hint`
/// (clamped into the range) and finishing with a binary search; `hint` is updated.
@inline(__always)
func gallop(_ k: UnsafeBufferPointer<Double>, _ lo: Int, _ hi: Int, _ m: Double, _ hint: inout Int) -> Int {
    var h = Swift.max(lo, Swift.min(hint, hi))
    var left = lo, right = hi
    if h < hi && k[h] <= m {
        // Answer is > h: gallop right.
        var step = 1
        left = h &+ 1
        while true {
            let probe = h &+ step
            if probe >= hi { right = hi; break }
            if k[probe] <= m { left = probe &+ 1; step &<<= 1 } else { right = probe; break }
        }
    } else {
        // Answer is ≤ h: gallop left.
        var step = 1
        right = h
        while true {
            let probe = h &- step
            if probe < lo { left = lo; break }
            if k[probe] > m { right = probe; step &<<= 1 } else { left = probe &+ 1; break }
        }
    }
    while left < right {
        let mid = (left &+ right) >> 1
        if k[mid] <= m { left = mid &+ 1 } else { right = mid }
    }
    h = left
    hint = h
    return h
}

/// 2^e for |e| < 1023 by building the bit pattern (exact, no call).
@inline(__always)
func powerOfTwo(_ e: Int) -> Double {
    if e > -1022 && e < 1023 { return Double(bitPattern: UInt64(truncatingIfNeeded: 1023 &+ e) << 52) }
    return Double(sign: .plus, exponent: e, significand: 1)
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
