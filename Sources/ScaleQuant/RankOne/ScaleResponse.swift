/// The "y side" of a (weighted) rank-one problem seen as a function of the scale μ applied to it.
///
/// For fixed x̂ the best ŷ is ŷ_j = Q(μ·s_j) with s = b/d and μ = S/N (docs/Theory.md §2, weighted form), and the
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
    /// E_y = Σ_j d_j s_j².
    var energy: Double { get }
    /// Table entries built so far (a statistic; 0 if there are no tables).
    var tableEntries: Int { get }
    /// A lower bound on min_t Σ d (s − t ŷ)² over ŷ = Q(μ s), μ ∈ [muLo, muHi] (``WindowBound``; 0 if y is not
    /// rounded).
    func distanceBound(muLo: Double, muHi: Double) -> Double
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
    /// No tables.
    var tableEntries: Int { 0 }
    /// y is not rounded: ŷ = μs lies on the line of s.
    func distanceBound(muLo: Double, muHi: Double) -> Double { 0 }
}

/// The response of y rounded to a grid: A and B are piecewise constant in μ with a breakpoint wherever some
/// μ·|s_j| crosses a rounding boundary. Every binade of μ between "all ŷ_j are 0" and "all saturate" has a table
/// (sorted breakpoints with running sums), except that all *regular* binades (every μ|s_j| inside the grid's
/// regular range) share one table, mapped by a power of two, which is exact. Evaluation is a galloping search
/// from the previous position.
///
/// Tables are built up front (`lazy: false`, in parallel; the instance is then read-only and may be shared
/// between threads) or on first use (`lazy: true`: only the binades of μ that the sweep actually reaches, which
/// is fewer when binades of λ are pruned; such an instance must stay on one thread). The breakpoints of a table
/// come from the slot order of s (``SlotOrder``) for float formats, else from a per-binade sort; both give the
/// same keys, order and sums.
///
/// Complexity: building O(n·k) for k boundaries per coordinate over the tabulated binades (2^(p−1) per binade
/// for a float format) plus one sort; evaluation O(log d) where d is the distance from the hint. Memory O(n·k).
final class GridResponse<G: NumberGrid>: ScaleResponse, @unchecked Sendable {
    private let grid: G
    private let sigma: [Double]
    private let weight: [Double]
    /// Binade of table 0 (tables are consecutive binades), and the regular binades with their shared table.
    private let firstBinade: Int
    private let tableCount: Int
    private let regular: ClosedRange<Int>?
    private let regularTable: Int
    private let regularBase: Int
    private let zeroBelow: Double
    private let saturatedAbove: Double
    private let saturated: (a: Double, b: Double)
    private let regularCheck: (lower: Double, upper: Double)?
    private let sigmaMin: Double, sigmaMax: Double
    private let lazy: Bool
    /// Σ d s².
    let energy: Double
    /// The slot order of σ, if the grid is a float format.
    private let order: SlotOrder?

    /// One table: sorted keys and (A, B) on each piece (`count + 1` values).
    private struct Table {
        var keys: UnsafeMutablePointer<Double>
        var a: UnsafeMutablePointer<Double>
        var b: UnsafeMutablePointer<Double>
        var count: Int
    }
    /// `tables[t]` (nil until built), as raw storage so that the evaluation loop does no reference counting.
    private let tables: UnsafeMutablePointer<Table?>
    /// A buffer reused by lazy instances for the breakpoints of each new table.
    private let scratch = LazyBox<PlanScratch>()
    /// Window bounds of σ (built on first use, from one thread).
    private let bound = LazyBox<WindowBound>()
    /// Breakpoints tabulated so far (a statistic).
    private(set) var tableEntries = 0

    /// Tabulates the response of |s| = `sigma` (non-zero) with weights `weight` on `grid`.
    init(grid: G, sigma: [Double], weight: [Double], order: SlotOrder? = nil, lazy: Bool = false) {
        self.grid = grid; self.sigma = sigma; self.weight = weight; self.lazy = lazy; self.order = order
        let sMin = sigma.min() ?? 0, sMax = sigma.max() ?? 0
        sigmaMin = sMin; sigmaMax = sMax
        regularCheck = grid.regularRange
        var e = CompensatedSum()
        for j in 0..<sigma.count { e.add(weight[j] * sigma[j] * sigma[j]) }
        energy = e.value
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
        firstBinade = lo
        regularBase = base
        regularTable = base - lo
        tableCount = hi - lo + 1
        tables = .allocate(capacity: tableCount)
        tables.initialize(repeating: nil, count: tableCount)
        if !lazy {
            // Every binade lo...hi (in parallel), except the regular binades other than the base one (never read).
            let needed = (0..<tableCount).filter { t in
                let j = lo + t
                return !(regular.map { $0.contains(j) } ?? false) || j == base
            }
            let built = parallelMap(needed.count) { self.build(binade: lo + needed[$0]) }
            for (i, t) in needed.enumerated() {
                tables[t] = built[i]
                tableEntries += built[i].count
            }
        }
    }

    deinit {
        for t in 0..<tableCount {
            if let table = tables[t] { table.keys.deallocate(); table.a.deallocate(); table.b.deallocate() }
        }
        tables.deinitialize(count: tableCount)
        tables.deallocate()
    }

    /// The table of binade j: the state at its start, then one running-sum step per sorted breakpoint.
    private func build(binade j: Int) -> Table {
        let l = Double(sign: .plus, exponent: j, significand: 1)
        var current = [Double](repeating: 0, count: sigma.count)
        var sa = CompensatedSum(), sb = CompensatedSum()
        let lattice = order?.lattice
        for k in 0..<sigma.count {
            let s = sigma[k]
            let g = lattice?.roundTiesDown(l * s, grid) ?? roundTiesDown(grid, l * s)
            current[k] = g
            sa.add(weight[k] * s * g)
            sb.add(weight[k] * g * g)
        }
        if let order {
            // Breakpoints straight from the slot order (no merged buffer; lazy instances reuse one scratch).
            if lazy && scratch.value == nil { scratch.value = PlanScratch() }
            let plan = order.plan(binade: j, scratch: lazy ? scratch.value : nil)
            let capacity = plan.count
            let keys = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(capacity, 1))
            let av = UnsafeMutablePointer<Double>.allocate(capacity: capacity + 1)
            let bv = UnsafeMutablePointer<Double>.allocate(capacity: capacity + 1)
            av[0] = sa.value; bv[0] = sb.value
            var i = 0
            sigma.withUnsafeBufferPointer { sigma in
            weight.withUnsafeBufferPointer { weight in
            current.withUnsafeMutableBufferPointer { current in
                plan.forEachEvent { key, index, g2 in
                    let k = Int(index), g = current[k]
                    assert(g2 == grid.nextUp(g), "slot breakpoints disagree with the grid")
                    current[k] = g2
                    sa.add(weight[k] * sigma[k] * (g2 - g))
                    sb.add(weight[k] * (g2 * g2 - g * g))
                    keys[i] = key
                    i &+= 1
                    av[i] = sa.value; bv[i] = sb.value
                }
            }}}
            return Table(keys: keys, a: av, b: bv, count: i)
        }
        let events = ScaleSweep<G>.sortedEvents(grid, sigma, binade: j, start: current)
        let count = events.count
        let keys = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(count, 1))
        let av = UnsafeMutablePointer<Double>.allocate(capacity: count + 1)
        let bv = UnsafeMutablePointer<Double>.allocate(capacity: count + 1)
        av[0] = sa.value; bv[0] = sb.value
        for i in 0..<count {
            let k = Int(events.index[i]), g = current[k], g2 = events.value[i]
            current[k] = g2
            sa.add(weight[k] * sigma[k] * (g2 - g))
            sb.add(weight[k] * (g2 * g2 - g * g))
            keys[i] = events.key[i]
            av[i + 1] = sa.value; bv[i + 1] = sb.value
        }
        return Table(keys: keys, a: av, b: bv, count: count)
    }

    /// Builds table t on first use (lazy instances only).
    @inline(never)
    private func buildMissing(_ t: Int) -> Table {
        let table = build(binade: firstBinade + t)
        tables[t] = table
        tableEntries += table.count
        return table
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

    func distanceBound(muLo: Double, muHi: Double) -> Double {
        if bound.value == nil { bound.value = WindowBound(rho: sigma, weight: weight, grid: grid) }
        return bound.value!.distance(muLo, muHi)
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
        t = Swift.max(0, Swift.min(t, tableCount &- 1))
        let table: Table
        if let built = tables[t] { table = built } else { table = buildMissing(t) }
        let m = shift == 0 ? mu : mu * powerOfTwo(-shift)
        let pos = gallop(UnsafeBufferPointer(start: table.keys, count: table.count), 0, table.count, m, &hint)
        if shift == 0 { return (table.a[pos], table.b[pos]) }
        let s1 = powerOfTwo(shift)
        return (table.a[pos] * s1, table.b[pos] * s1 * s1)
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
