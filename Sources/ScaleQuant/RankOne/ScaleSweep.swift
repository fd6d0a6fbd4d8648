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
        var s = 0.0, n = 0.0
        for i in 0..<rho.count {
            let v = roundTiesDown(grid, lo * rho[i])
            g[i] = v
            s += weight[i] * rho[i] * v
            n += weight[i] * v * v
        }
        return (g, s, n)
    }

    /// Fills `sorter` with the sorted breakpoints of binade k.
    func breakpoints(binade k: Int, into sorter: inout BreakpointSorter) {
        sorter.removeAll()
        let lo = Double(sign: .plus, exponent: k, significand: 1)
        for i in 0..<rho.count {
            let r = rho[i]
            grid.forEachBoundary(from: lo * r, below: 2 * lo * r) { beta, _ in sorter.append(beta / r, UInt32(i)) }
        }
        sorter.sort(binade: k)
    }

    /// Sweeps binade k and returns its best state (objective relative to x̂ = 0, i.e. 0 if nothing beats it).
    func sweep<R: ScaleResponse>(binade k: Int, response: R, sorter: inout BreakpointSorter) -> Best {
        breakpoints(binade: k, into: &sorter)
        var (g, s, n) = initialState(binade: k)
        var best = Best()
        var bestStep = -1
        var hint = 0
        if n > 0 {
            let mu = s / n
            let (a, b) = response.evaluate(mu, hint: &hint)
            let f = -2 * s * a + n * b
            if f < best.objective { best.objective = f; bestStep = 0; best.mu = mu }
        }
        let count = sorter.entries.count
        sorter.entries.withUnsafeBufferPointer { bp in
                rho.withUnsafeBufferPointer { rho in
                    weight.withUnsafeBufferPointer { w in
                        g.withUnsafeMutableBufferPointer { g in
                            var bestF = best.objective, bestMu = best.mu
                            for t in 0..<count {
                                let i = Int(bp[t].index)
                                let old = g[i], new = grid.nextUp(old)
                                g[i] = new
                                let wi = w[i]
                                s += wi * rho[i] * (new - old)
                                n += wi * (new * new - old * old)
                                let mu = s / n
                                let (a, b) = response.evaluate(mu, hint: &hint)
                                let f = -2 * s * a + n * b
                                if f < bestF { bestF = f; bestStep = t &+ 1; bestMu = mu }
                            }
                            best.objective = bestF
                            best.mu = bestMu
                        }
                    }
                }
        }
        best.pieces = count + 1
        if bestStep >= 0 {
            best.binade = k
            best.step = bestStep
            let lo = Double(sign: .plus, exponent: k, significand: 1)
            let left = bestStep == 0 ? lo : sorter.entries[bestStep - 1].key
            let right = bestStep < count ? sorter.entries[bestStep].key : 2 * lo
            best.lambda = left / 2 + right / 2
        }
        return best
    }

    /// The x̂ magnitudes of a recorded best state, replayed from the start of its binade.
    func magnitudes(of best: Best) -> [Double] {
        guard let k = best.binade else { return [Double](repeating: 0, count: rho.count) }
        var sorter = BreakpointSorter()
        breakpoints(binade: k, into: &sorter)
        var (g, _, _) = initialState(binade: k)
        for t in 0..<best.step {
            let i = Int(sorter.entries[t].index)
            g[i] = grid.nextUp(g[i])
        }
        return g
    }
}
