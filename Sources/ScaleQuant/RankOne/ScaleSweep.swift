/// A value computed on first use (single-threaded use only).
final class LazyBox<T>: @unchecked Sendable {
    var value: T?
}

/// 2^(i/n), exact for i = 0 and i = n.
func exp2Fraction(_ i: Int, _ n: Int) -> Double {
    if i == 0 { return 1 }
    if i == n { return 2 }
    return exp2Double(Double(i) / Double(n))
}

#if canImport(Glibc)
import Glibc
private func exp2Double(_ x: Double) -> Double { Glibc.exp2(x) }
#elseif canImport(Darwin)
import Darwin
private func exp2Double(_ x: Double) -> Double { Darwin.exp2(x) }
#endif

/// The exact sweep over the scaling parameter λ of the x side of a (weighted) rank-one problem
/// (docs/Theory.md §2; Gribonval, Mary, Riccietti 2023, hal-04125381, Algorithm 5.1, made incremental).
///
/// It minimizes F(x̂, ŷ) = −2·(Σ a_k x̂_k)(Σ b_j ŷ_j) + (Σ c_k x̂_k²)(Σ d_j ŷ_j²) over x̂ ∈ G^m, ŷ ∈ G_y^n with
/// c, d > 0. A global minimizer lies on the family x̂(λ) = Q(λ·a/c), ŷ = Q(μ·b/d), μ = (Σ a x̂)/(Σ c x̂²); λ ↦ x̂(λ)
/// is piecewise constant and changes one coordinate by one grid step at each breakpoint λ = β/|r_k| (β a rounding
/// boundary, r = a/c). Walking the sorted breakpoints binade by binade of λ, S = Σ a x̂ and N = Σ c x̂² update in
/// O(1) and the y side is a lookup (``ScaleResponse``), so every distinct x̂ is visited.
///
/// Which binades: for a bounded grid, all from "every x̂_k is 0" to "every x̂_k saturates"; binades where both
/// sides round as in F_p (``NumberGrid/regularRange``) repeat one another exactly (x̂ doubles, μ halves), so only
/// one of them is considered. For F_p a single binade suffices. Of the binades considered, those whose lower
/// bound (``lowerBounds(_:response:subdivisions:)``) exceeds the best objective already found are skipped
/// (`RankOne.runSweep`, which also proves that this never changes the answer), and inside a binade the y lookup
/// is skipped for states that the x side alone rules out (``sweep(_:states:response:upper:margin:)``).
///
/// Breakpoints: for a float format they are read from the slot order of ρ (``SlotOrder``: one sort per problem,
/// then one branch-free pass per binade); for other grids they are generated and bucket-sorted per binade
/// (``sortedEvents(_:_:binade:start:)``). Both give the same keys, order and values.
///
/// Complexity: O(m·k) breakpoints for k per coordinate over the swept binades, each O(1) plus a lookup (a
/// galloping search); one sort of m·2^(p−1) keys per problem (float formats) or a bucket sort per binade;
/// bounds O(b·log m) for b binades; memory O(m·2^(p−1)) plus one binade's breakpoints at a time.
struct ScaleSweep<G: NumberGrid> {
    let grid: G
    /// |r_k| and c_k for the non-zero r_k.
    let rho: [Double]
    let weight: [Double]
    /// The slot order of ρ (``SlotOrder``) when the grid is a float format: breakpoints are then read from it
    /// instead of being generated and sorted per binade (same breakpoints, same order).
    let order: SlotOrder?

    init(grid: G, rho: [Double], weight: [Double], order: SlotOrder? = nil) {
        self.grid = grid; self.rho = rho; self.weight = weight; self.order = order
        var e = 0.0
        for k in 0..<rho.count { e += weight[k] * rho[k] * rho[k] }
        energyX = e
    }

    /// E_x = Σ c ρ².
    let energyX: Double

    /// The window bounds of ρ (built on first use; used from one thread before any parallel region).
    var windowBound: WindowBound {
        if let b = boundBox.value { return b }
        let b = WindowBound(rho: rho, weight: weight, grid: grid)
        boundBox.value = b
        return b
    }
    private let boundBox = LazyBox<WindowBound>()

    /// The best state found: its binade, its position in that binade's sorted breakpoints, and its objective.
    struct Best {
        var objective: Double = 0
        var binade: Int? = nil
        var step: Int = 0
        var lambda: Double = 0
        var mu: Double = 0
        var pieces: Int = 0
    }

    /// The binades of λ to visit, given the y side's regularity.
    ///
    /// Of the binades that are exact copies of one another (both sides regular), the one where x̂ and ŷ have
    /// balanced magnitudes is kept (``ScaleResponse/balancedBinade(rhoMax:)``): every copy has the same error, and a
    /// balanced one keeps later steps (butterfly factors, network layers) away from underflow and overflow.
    func binadesToVisit(response: some ScaleResponse) -> [Int] {
        guard let rhoMax = rho.max(), let rhoMin = rho.min(), rhoMax > 0 else { return [] }
        let target = response.balancedBinade(rhoMax: rhoMax)
        let regular = grid.regularRange
        if grid.maxFinite == .infinity && grid.smallestPositive == 0 {
            // F_p: every binade is a copy of any other.
            return [target]
        }
        let first = grid.smallestPositive / 2
        let last = grid.nextDown(grid.maxFinite) / 2 + grid.maxFinite / 2
        let kLo = Int((first / rhoMax).exponent)
        let kHi = Int((last / rhoMin).exponent)
        let u = grid.unitRoundoff
        let c1 = (1 - u) / ((1 + u) * (1 + u)), c2 = (1 + u) / ((1 - u) * (1 - u))
        var out: [Int] = []
        var copies: [Int] = []
        for k in kLo...kHi {
            let lo = Double(sign: .plus, exponent: k, significand: 1)
            var xRegular = false
            if let r = regular { xRegular = lo * rhoMin >= r.lower && 2 * lo * rhoMax <= r.upper }
            if xRegular {
                // μ ∈ [c1/(2·lo), c2/lo]: the y binades it can fall into.
                let jLo = Int((c1 / (2 * lo)).exponent), jHi = Int((c2 / lo).exponent)
                if (jLo...jHi).allSatisfy({ response.isRegular(binade: $0) }) {
                    copies.append(k)
                    continue
                }
            }
            out.append(k)
        }
        if let keep = copies.min(by: { abs($0 - target) < abs($1 - target) }) {
            out.append(keep)
            out.sort()
        }
        return out
    }

    /// Lower bounds on the objective of every state of each binade of λ (in `binades`), for pruning.
    ///
    /// Write ρ = |a/c|, σ = |b/d|, E_x = Σ c ρ², E_y = Σ d σ². The objective of a state x̂ (with its best ŷ) is
    /// F = err − E_x·E_y, err = Σ_{k,j} c_k d_j (ρ_k σ_j − x̂_k ŷ_j)² ≥ 0, and with μ = S/N, ŷ = Q(μσ):
    ///   err = E_y·D_x + (S²/N)·Σ_j d_j (σ_j − ŷ_j/μ)² ≥ E_y·D_x + (E_x − D_x)·D_y,
    /// D_x = E_x − S²/N = min_t Σ c (ρ − t x̂)² and D_y = min_t Σ d (σ − t ŷ)² (the squared distances of ρ and σ
    /// to the lines of x̂ and ŷ). Since D_y ≤ E_y this is ≥ E_x·L_y + L_x·(E_y − L_y) for any lower bounds
    /// L_x ≤ D_x, L_y ≤ D_y. ``WindowBound`` gives L_x over a window of λ and the range of μ there, and the
    /// response gives L_y over that range of μ (0 when y is not rounded). A binade's bound is the least over
    /// `subdivisions` equal windows of its λ (in log scale, each widened by 2^−40 so that states at a window's
    /// edge are covered); +∞ where every x̂ is 0 (no state).
    ///
    /// - Returns: the bounds (objective units) and E_x·E_y (the scale for the pruning margin).
    /// - Complexity: O(b·s·(log m + log n)) for b binades and s subdivisions, after O(m log m + n log n) setup.
    func lowerBounds(_ binades: [Int], response: some ScaleResponse, subdivisions: Int) -> (bounds: [Double], scale: Double) {
        let xb = windowBound
        let ex = xb.energy, ey = response.energy
        var out: [Double] = []
        for kappa in binades {
            let l1 = Double(sign: .plus, exponent: kappa, significand: 1)
            var least = Double.infinity
            for i in 0..<subdivisions {
                let la = l1 * exp2Fraction(i, subdivisions) * (1 - 0x1p-40)
                let lb = l1 * exp2Fraction(i + 1, subdivisions) * (1 + 0x1p-40)
                guard let mu = xb.muRange(la, lb) else { continue }
                let lx = xb.distance(la, lb)
                let ly = Swift.min(ey, response.distanceBound(muLo: mu.lo, muHi: mu.hi))
                let err = ex * ly + Swift.min(lx, ex) * (ey - ly)
                least = Swift.min(least, err)
                if least <= 0 { break }
            }
            out.append(least - ex * ey)
        }
        return (out, ex * ey)
    }

    /// How far a state is from balanced magnitudes, |log2 max|x̂| − log2 max|ŷ|| (for the final tie-break).
    func imbalance(lambda: Double, mu: Double, response: some ScaleResponse) -> Double {
        guard let rhoMax = rho.max(), lambda > 0, mu > 0 else { return .infinity }
        return abs(Double((lambda * rhoMax).exponent) - response.logMagnitude(mu: mu))
    }

    /// The state at the start of binade k (ties rounded down) and its sums.
    func initialState(binade k: Int) -> (g: [Double], s: Double, n: Double) {
        let lo = Double(sign: .plus, exponent: k, significand: 1)
        var g = [Double](repeating: 0, count: rho.count)
        if let lattice = order?.lattice {
            for i in 0..<rho.count { g[i] = lattice.roundTiesDown(lo * rho[i], grid) }
        } else {
            for i in 0..<rho.count { g[i] = roundTiesDown(grid, lo * rho[i]) }
        }
        let (s, n) = sums(g)
        return (g, s, n)
    }

    /// S = Σ c·|r|·g and N = Σ c·g², compensated.
    func sums(_ g: [Double]) -> (s: Double, n: Double) {
        var s = CompensatedSum(), n = CompensatedSum()
        for i in 0..<rho.count {
            s.add(weight[i] * rho[i] * g[i])
            n.add(weight[i] * g[i] * g[i])
        }
        return (s.value, n.value)
    }

    /// The sorted breakpoints of one binade and the state at its start.
    struct PreparedBinade {
        let binade: Int
        let events: BinadeEvents
        let start: (g: [Double], s: Double, n: Double)
    }

    /// The sorted breakpoints of binade k: from the slot order if there is one, else generated and sorted.
    func prepare(binade k: Int) -> PreparedBinade {
        let start = initialState(binade: k)
        if let order { return PreparedBinade(binade: k, events: order.events(binade: k), start: start) }
        return PreparedBinade(binade: k, events: Self.sortedEvents(grid, rho, binade: k, start: start.g), start: start)
    }

    /// Generates the breakpoints β/|v_i| of binade k of the scale for every rounding boundary β, sorts them by
    /// (key, coordinate) and records the value each coordinate reaches (the generic path, any grid). `start`: the
    /// magnitudes at the start of the binade.
    static func sortedEvents(_ grid: G, _ v: [Double], binade k: Int, start: [Double]) -> BinadeEvents {
        var sorter = BreakpointSorter()
        let lo = Double(sign: .plus, exponent: k, significand: 1)
        if let count = grid.regularRange.flatMap({ _ in grid.unitRoundoff < 0.5 ? 1 / (2 * grid.unitRoundoff) : nil }) {
            sorter.entries.reserveCapacity(v.count * Int(count) + 16)
        }
        for i in 0..<v.count {
            let r = v[i]
            grid.forEachBoundary(from: lo * r, below: 2 * lo * r) { beta, _ in sorter.append(beta / r, UInt32(i)) }
        }
        sorter.sort(binade: k)
        let events = BinadeEvents(capacity: sorter.entries.count)
        var g = start
        for e in sorter.entries {
            let i = Int(e.index)
            let next = grid.nextUp(g[i])
            g[i] = next
            events.append(e.key, e.index, next)
        }
        return events
    }

    /// Evaluates the states `t ∈ range` of a prepared binade (state t: after the first t breakpoints) and
    /// returns the best (objective relative to x̂ = 0, i.e. 0 if nothing beats it).
    ///
    /// `upper` (an objective reached elsewhere, 0 if none) and `margin` let the sweep skip the y lookup of states
    /// that cannot matter. For a state with sums S, N: −2S·A + N·B = N·Σ_j d_j (ŷ_j − μσ_j)² − E_y·S²/N ≥
    /// −E_y·S²/N (μ = S/N), a bound from the x side alone. A state whose bound exceeds the current best of the
    /// binade by more than its tie tolerance plus 10⁻¹² E_x E_y (the rounding of the computed objective) would
    /// be rejected anyway; one whose bound exceeds `upper` + 2·margin is worse than `upper` by more than the
    /// pruning margin, and such states change neither the binade's answer when it can matter (its best is then
    /// within `margin` of `upper`, and they are farther than `margin` above it: see `runSweep` for why far states
    /// never affect the fold) nor anything when it cannot.
    func sweep<R: ScaleResponse>(_ p: PreparedBinade, states range: Range<Int>, response: R, upper: Double = 0,
                                 margin: Double = 0) -> Best {
        var (g, s, n) = p.start
        if range.lowerBound > 0 {
            // Replay the earlier breakpoints without evaluating, then recompute the sums exactly.
            for t in 0..<range.lowerBound { g[Int(p.events.index[t])] = p.events.value[t] }
            (s, n) = sums(g)
        }
        var bestF = 0.0, bestMu = 0.0, bestStep = -1
        // States within `tie` of the best are separated by balance (see `imbalance`): exact answers often come in
        // many equally good scalings, and an extreme one underflows in later steps.
        var tie = 0.0, bestImbalance = Double.infinity
        let rhoMax = rho.max() ?? 1
        let lo = Double(sign: .plus, exponent: p.binade, significand: 1)
        @inline(__always) func imbalanceAt(_ t: Int, _ mu: Double) -> Double {
            let lambda = t == 0 ? lo : p.events.key[t - 1]
            return abs(Double((lambda * rhoMax).exponent) - response.logMagnitude(mu: mu))
        }
        @inline(__always) func consider(_ f: Double, _ t: Int, _ mu: Double) {
            if f < bestF - tie {
                bestF = f; bestStep = t; bestMu = mu
                tie = 8 * Double.ulpOfOne * abs(f)
                bestImbalance = imbalanceAt(t, mu)
            } else if f <= bestF + tie && bestStep >= 0 {
                let imb = imbalanceAt(t, mu)
                if imb < bestImbalance { bestF = Swift.min(f, bestF); bestStep = t; bestMu = mu; bestImbalance = imb }
            }
        }
        var hint = 0
        if n > 0 {
            let mu = s / n
            let (a, b) = response.evaluate(mu, hint: &hint)
            consider(-2 * s * a + n * b, range.lowerBound, mu)
        }
        let first = range.lowerBound, last = range.upperBound - 1
        var sc = CompensatedSum(), nc = CompensatedSum()
        sc.add(s); nc.add(n)
        let ey = response.energy
        let delta = 1e-12 * energyX * ey, far = upper + 2 * margin
        if first < last {
            let index = p.events.index, value = p.events.value
            rho.withUnsafeBufferPointer { rho in
                weight.withUnsafeBufferPointer { w in
                    g.withUnsafeMutableBufferPointer { g in
                            for t in first..<last {
                                let i = Int(index[t])
                                let old = g[i], new = value[t]
                                assert(new == grid.nextUp(old), "slot breakpoints disagree with the grid")
                                g[i] = new
                                let wi = w[i]
                                sc.add(wi * rho[i] * (new - old))
                                nc.add(wi * (new * new - old * old))
                                let s = sc.value, n = nc.value
                                // Skip states that the x side alone rules out (see above).
                                if ey * s * s < -Swift.min(bestF + tie + delta, far) * n { continue }
                                let mu = s / n
                                let (a, b) = response.evaluate(mu, hint: &hint)
                                let f = -2 * s * a + n * b
                                if f <= bestF + tie { consider(f, t &+ 1, mu) }
                            }
                    }
                }
            }
        }
        var best = Best()
        best.pieces = range.count
        if bestStep >= 0 {
            let count = p.events.count
            best.objective = bestF
            best.mu = bestMu
            best.binade = p.binade
            best.step = bestStep
            let left = bestStep == 0 ? lo : p.events.key[bestStep - 1]
            let right = bestStep < count ? p.events.key[bestStep] : 2 * lo
            best.lambda = left / 2 + right / 2
        }
        return best
    }

    /// Evaluates every state of a prepared binade; with `split`, a large binade is cut in two halves (swept in
    /// parallel when `parallel`, one after the other otherwise: the same answer either way).
    func sweepAll<R: ScaleResponse>(_ p: PreparedBinade, response: R, split: Bool, parallel: Bool,
                                    upper: Double = 0, margin: Double = 0) -> Best {
        let states = p.events.count + 1
        guard split, states > 40_000 else {
            return sweep(p, states: 0..<states, response: response, upper: upper, margin: margin)
        }
        // The second half first replays the first half's steps (cheap), so it gets slightly fewer states.
        let h = states * 52 / 100
        let (b1, b2) = parallel
            ? parallelPair({ sweep(p, states: 0..<h, response: response) },
                           { sweep(p, states: h..<states, response: response) })
            : (sweep(p, states: 0..<h, response: response), sweep(p, states: h..<states, response: response))
        var best = b2.binade != nil && b2.objective < b1.objective ? b2 : b1
        best.pieces = b1.pieces + b2.pieces
        return best
    }

    /// The x̂ magnitudes of a recorded best state, replayed from the start of its binade.
    func magnitudes(of best: Best) -> [Double] {
        guard let k = best.binade else { return [Double](repeating: 0, count: rho.count) }
        let p = prepare(binade: k)
        var g = p.start.g
        for t in 0..<best.step { g[Int(p.events.index[t])] = p.events.value[t] }
        return g
    }
}
