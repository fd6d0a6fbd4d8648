/// The exact sweep over the scaling parameter λ of the x side of a (weighted) rank-one problem
/// (science §2; Gribonval, Mary, Riccietti 2023, hal-04125381, Algorithm 5.1, made incremental).
///
/// It minimizes F(x̂, ŷ) = −2·(Σ a_k x̂_k)(Σ b_j ŷ_j) + (Σ c_k x̂_k²)(Σ d_j ŷ_j²) over x̂ ∈ G^m, ŷ ∈ G_y^n with
/// c, d > 0. A global minimizer lies on the family x̂(λ) = Q(λ·a/c), ŷ = Q(μ·b/d), μ = (Σ a x̂)/(Σ c x̂²); λ ↦ x̂(λ)
/// is piecewise constant and changes one coordinate by one grid step at each breakpoint λ = β/|r_k| (β a rounding
/// boundary, r = a/c). Walking the sorted breakpoints binade by binade of λ, S = Σ a x̂ and N = Σ c x̂² update in
/// O(1) and the y side is a lookup (``ScaleResponse``), so every distinct x̂ is visited.
///
/// Which binades: for a bounded grid, all from "every x̂_k is 0" to "every x̂_k saturates"; binades where both
/// sides round as in F_p (``NumberGrid/regularRange``) repeat one another exactly (x̂ doubles, μ halves), so only
/// one of them is visited. For F_p a single binade suffices.
///
/// Complexity: O(m·k) breakpoints for k per coordinate over the visited binades, each O(1) plus a lookup; a
/// radix sort per binade; memory O(m·k) for one binade at a time.
struct ScaleSweep<G: NumberGrid> {
    let grid: G
    /// |r_k| and c_k for the non-zero r_k.
    let rho: [Double]
    let weight: [Double]

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
    func binadesToVisit(response: some ScaleResponse) -> [Int] {
        guard let rhoMax = rho.max(), let rhoMin = rho.min(), rhoMax > 0 else { return [] }
        let regular = grid.regularRange
        if grid.maxFinite == .infinity && grid.smallestPositive == 0 {
            // F_p: every binade is a copy of any other.
            return [Int((1 / rhoMax).exponent)]
        }
        let first = grid.smallestPositive / 2
        let last = grid.nextDown(grid.maxFinite) / 2 + grid.maxFinite / 2
        let kLo = Int((first / rhoMax).exponent)
        let kHi = Int((last / rhoMin).exponent)
        let u = grid.unitRoundoff
        let c1 = (1 - u) / ((1 + u) * (1 + u)), c2 = (1 + u) / ((1 - u) * (1 - u))
        var out: [Int] = []
        var tookRegular = false
        for k in kLo...kHi {
            let lo = Double(sign: .plus, exponent: k, significand: 1)
            var xRegular = false
            if let r = regular { xRegular = lo * rhoMin >= r.lower && 2 * lo * rhoMax <= r.upper }
            if xRegular {
                // μ ∈ [c1/(2·lo), c2/lo]: the y binades it can fall into.
                let jLo = Int((c1 / (2 * lo)).exponent), jHi = Int((c2 / lo).exponent)
                let ySafe = (jLo...jHi).allSatisfy { response.isRegular(binade: $0) }
                if ySafe {
                    if tookRegular { continue }
                    tookRegular = true
                }
            }
            out.append(k)
        }
        return out
    }

    /// The state at the start of binade k (ties rounded down) and its sums.
    func initialState(binade k: Int) -> (g: [Double], s: Double, n: Double) {
        let lo = Double(sign: .plus, exponent: k, significand: 1)
        var g = [Double](repeating: 0, count: rho.count)
        for i in 0..<rho.count { g[i] = roundTiesDown(grid, lo * rho[i]) }
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
        let entries: [Breakpoint]
        let start: (g: [Double], s: Double, n: Double)
    }

    /// Generates and sorts the breakpoints of binade k.
    func prepare(binade k: Int) -> PreparedBinade {
        var sorter = BreakpointSorter()
        let lo = Double(sign: .plus, exponent: k, significand: 1)
        if let count = grid.regularRange.flatMap({ _ in grid.unitRoundoff < 0.5 ? 1 / (2 * grid.unitRoundoff) : nil }) {
            sorter.entries.reserveCapacity(rho.count * Int(count) + 16)
        }
        for i in 0..<rho.count {
            let r = rho[i]
            grid.forEachBoundary(from: lo * r, below: 2 * lo * r) { beta, _ in sorter.append(beta / r, UInt32(i)) }
        }
        sorter.sort(binade: k)
        return PreparedBinade(binade: k, entries: sorter.entries, start: initialState(binade: k))
    }

    /// Evaluates the states `t ∈ range` of a prepared binade (state t: after the first t breakpoints) and
    /// returns the best (objective relative to x̂ = 0, i.e. 0 if nothing beats it).
    func sweep<R: ScaleResponse>(_ p: PreparedBinade, states range: Range<Int>, response: R) -> Best {
        var (g, s, n) = p.start
        if range.lowerBound > 0 {
            // Replay the earlier breakpoints without evaluating, then recompute the sums exactly.
            for t in 0..<range.lowerBound {
                let i = Int(p.entries[t].index)
                g[i] = grid.nextUp(g[i])
            }
            (s, n) = sums(g)
        }
        var bestF = 0.0, bestMu = 0.0, bestStep = -1
        var hint = 0
        if n > 0 {
            let mu = s / n
            let (a, b) = response.evaluate(mu, hint: &hint)
            let f = -2 * s * a + n * b
            if f < bestF { bestF = f; bestStep = range.lowerBound; bestMu = mu }
        }
        let first = range.lowerBound, last = range.upperBound - 1
        var sc = CompensatedSum(), nc = CompensatedSum()
        sc.add(s); nc.add(n)
        if first < last {
            p.entries.withUnsafeBufferPointer { bp in
                rho.withUnsafeBufferPointer { rho in
                    weight.withUnsafeBufferPointer { w in
                        g.withUnsafeMutableBufferPointer { g in
                            for t in first..<last {
                                let i = Int(bp[t].index)
                                let old = g[i], new = grid.nextUp(old)
                                g[i] = new
                                let wi = w[i]
                                sc.add(wi * rho[i] * (new - old))
                                nc.add(wi * (new * new - old * old))
                                let s = sc.value, n = nc.value
                                let mu = s / n
                                let (a, b) = response.evaluate(mu, hint: &hint)
                                let f = -2 * s * a + n * b
                                if f < bestF { bestF = f; bestStep = t &+ 1; bestMu = mu }
                            }
                        }
                    }
                }
            }
        }
        var best = Best()
        best.pieces = range.count
        if bestStep >= 0 {
            let lo = Double(sign: .plus, exponent: p.binade, significand: 1)
            let count = p.entries.count
            best.objective = bestF
            best.mu = bestMu
            best.binade = p.binade
            best.step = bestStep
            let left = bestStep == 0 ? lo : p.entries[bestStep - 1].key
            let right = bestStep < count ? p.entries[bestStep].key : 2 * lo
            best.lambda = left / 2 + right / 2
        }
        return best
    }

    /// Evaluates every state of a prepared binade, in two parallel halves when it is large.
    func sweepAll<R: ScaleResponse>(_ p: PreparedBinade, response: R, parallel: Bool) -> Best {
        let states = p.entries.count + 1
        guard parallel, states > 40_000 else { return sweep(p, states: 0..<states, response: response) }
        // The second half first replays the first half's steps (cheap), so it gets slightly fewer states.
        let h = states * 52 / 100
        let (b1, b2) = parallelPair({ sweep(p, states: 0..<h, response: response) },
                                    { sweep(p, states: h..<states, response: response) })
        var best = b2.binade != nil && b2.objective < b1.objective ? b2 : b1
        best.pieces = b1.pieces + b2.pieces
        return best
    }

    /// The x̂ magnitudes of a recorded best state, replayed from the start of its binade.
    func magnitudes(of best: Best) -> [Double] {
        guard let k = best.binade else { return [Double](repeating: 0, count: rho.count) }
        let p = prepare(binade: k)
        var g = p.start.g
        for t in 0..<best.step {
            let i = Int(p.entries[t].index)
            g[i] = grid.nextUp(g[i])
        }
        return g
    }
}
