/// Lower bounds on the rounding error of one side of a (weighted) rank-one problem over a window of its scale,
/// for pruning the sweep (``ScaleSweep/lowerBounds(_:response:subdivisions:)``).
///
/// One side is a vector of magnitudes ρ_k > 0 with weights c_k > 0 (x: ρ = |a/c|; y: σ = |b/d| with weights d),
/// rounded as x̂_k = Q(λρ_k) on a grid G. Over a window λ ∈ [λa, λb], every state of the sweep has each x̂_k in
/// {Q(λρ_k) : λ ∈ [λa, λb]} (states at tied breakpoints mix coordinates from both sides of the tie, which stays
/// inside the window once it is widened by 2^−40). For such a state, D = min_t Σ c (ρ − t x̂)² (the squared
/// distance of ρ to the line of x̂) is at least
///
///   D ≥ Σ_Z cρ² + min_w [ Σ_T c (ρ − wM)² + E_R·H(w)² ]
///
/// where Z = {k : λb ρ_k < β₀} are 0 throughout (β₀ the first rounding boundary), T = {k : λa ρ_k > β_last}
/// saturate at M throughout, and R = {k : λa ρ_k ≥ 2^emin, λb ρ_k ≤ M} stay in the normal range, where
/// x̂_k = λρ_k(1 + δ_k) with |δ_k| ≤ u (the unit roundoff), so |ρ_k − w x̂_k| = ρ_k |1 − wλ(1 + δ_k)| ≥
/// ρ_k·H(w) with H(w) = min over λ ∈ [λa, λb], |δ| ≤ u of |1 − wλ(1 + δ)|: 0 for w ∈ [1/(λb(1+u)),
/// 1/(λa(1−u))], linear in the distance to that interval outside it. E_R = Σ_R cρ². The other coordinates
/// contribute ≥ 0. Z, T, R are disjoint, so the three sums add up; the minimum over w of the convex piecewise
/// quadratic is taken exactly (three pieces). With no normal range (integer grids) R is empty, and for F_p
/// Z and T are empty (bound 0).
///
/// Sums come from prefix sums over the sorted ρ; their rounding (≈ 10⁻¹³ relative to E = Σcρ², also from the
/// cancellation in the expanded quadratics) is far below the 10⁻⁹·E_x·E_y margin of the pruning test.
///
/// Complexity: O(m log m) to build, O(log m) per window.
struct WindowBound {
    /// ρ ascending, with prefix sums of c, cρ, cρ² (index i: the first i entries).
    private let rho: [Double]
    private let pc: [Double], pcr: [Double], pcr2: [Double]
    /// Σ c ρ².
    let energy: Double
    private let first: Double, last: Double, maxValue: Double, normalMin: Double, u: Double
    private let hasNormalRange: Bool

    init(rho unsorted: [Double], weight: [Double], grid: some NumberGrid) {
        let order = ascendingOrder(unsorted)
        rho = order.map { unsorted[$0] }
        var pc = [0.0], pcr = [0.0], pcr2 = [0.0]
        var sc = CompensatedSum(), sr = CompensatedSum(), sr2 = CompensatedSum()
        for i in order {
            let c = weight[i], r = unsorted[i]
            sc.add(c); sr.add(c * r); sr2.add(c * r * r)
            pc.append(sc.value); pcr.append(sr.value); pcr2.append(sr2.value)
        }
        self.pc = pc; self.pcr = pcr; self.pcr2 = pcr2
        energy = pcr2.last ?? 0
        first = grid.smallestPositive / 2
        maxValue = grid.maxFinite
        last = grid.maxFinite.isFinite ? grid.nextDown(grid.maxFinite) / 2 + grid.maxFinite / 2 : .infinity
        if let r = grid.regularRange, r.lower > 0 || grid.maxFinite == .infinity {
            hasNormalRange = true
            normalMin = r.lower
            u = grid.unitRoundoff
        } else {
            hasNormalRange = false
            normalMin = .infinity
            u = 0
        }
    }

    /// The number of leading (smallest) ρ for which `below(ρ)` holds (`below` must be monotone: true then false).
    @inline(__always)
    private func count(_ below: (Double) -> Bool) -> Int {
        var lo = 0, hi = rho.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if below(rho[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Sums over the index range i..<j: (Σc, Σcρ, Σcρ²).
    @inline(__always)
    private func sums(_ i: Int, _ j: Int) -> (c: Double, cr: Double, cr2: Double) {
        (pc[j] - pc[i], pcr[j] - pcr[i], Swift.max(0, pcr2[j] - pcr2[i]))
    }

    /// Classification of the window: Z = 0..<z, R = r0..<r1, T = t..<m (possibly empty ranges).
    private func classes(_ la: Double, _ lb: Double) -> (z: Int, r0: Int, r1: Int, t: Int) {
        let m = rho.count
        let z = first > 0 ? count { lb * $0 < first } : 0
        let t = last.isFinite ? count { !(la * $0 > last) } : m
        var r0 = m, r1 = m
        if hasNormalRange {
            r0 = Swift.max(z, count { la * $0 < normalMin })
            r1 = Swift.min(t, count { lb * $0 <= maxValue })
            if r1 < r0 { r1 = r0 }
        }
        return (z, r0, r1, t)
    }

    /// A lower bound on D = min_t Σ c (ρ − t x̂)² over the states of the window [la, lb] (see the type), or +∞
    /// if every x̂ is 0 there (no state to evaluate).
    func distance(_ la: Double, _ lb: Double) -> Double {
        let m = rho.count
        let (z, r0, r1, t) = classes(la, lb)
        if z == m { return .infinity }
        let xz = sums(0, z).cr2
        let er = sums(r0, r1).cr2
        let (ac, bc, cc) = sums(t, m)   // T: Σc, Σcρ, Σcρ²
        let mv = maxValue
        // T(w) = cc − 2 w M bc + w² M² ac; R(w) = er·H(w)².
        let wlo = 1 / (lb * (1 + u)), whi = 1 / (la * (1 - u))
        let alpha = lb * (1 + u), beta = la * (1 - u)
        func tPart(_ w: Double) -> Double {
            guard t < m else { return 0 }
            return Swift.max(0, cc - 2 * w * mv * bc + w * w * mv * mv * ac)
        }
        func rPart(_ w: Double) -> Double {
            guard r1 > r0 else { return 0 }
            if w < wlo { let h = alpha * (wlo - w); return er * h * h }
            if w > whi { let h = beta * (w - whi); return er * h * h }
            return 0
        }
        // Minimize the convex sum piece by piece: on each piece, the quadratic's vertex clamped to the piece.
        // Quadratic coefficients of T: A_T w² + B_T w + const.
        let at = t < m ? mv * mv * ac : 0, bt = t < m ? -2 * mv * bc : 0
        var best = Double.infinity
        func consider(_ w: Double) { if w >= 0 && w.isFinite { best = Swift.min(best, tPart(w) + rPart(w)) } }
        if r1 > r0 {
            // Piece 1: w ≤ wlo, R = er·α²(wlo − w)²: A = at + er α², B = bt − 2 er α² wlo.
            let a1 = at + er * alpha * alpha, b1 = bt - 2 * er * alpha * alpha * wlo
            consider(Swift.min(wlo, Swift.max(0, -b1 / (2 * a1))))
            // Piece 2: wlo ≤ w ≤ whi, T only.
            consider(at > 0 ? Swift.min(whi, Swift.max(wlo, -bt / (2 * at))) : wlo)
            // Piece 3: w ≥ whi.
            let a3 = at + er * beta * beta, b3 = bt - 2 * er * beta * beta * whi
            consider(Swift.max(whi, -b3 / (2 * a3)))
        } else if t < m {
            consider(Swift.max(0, -bt / (2 * at)))
        } else {
            best = 0
        }
        if !best.isFinite { best = 0 }
        return xz + best
    }

    /// Bounds on μ = S/N = Σ c ρ x̂ / Σ c x̂² over the states of the window [la, lb] (a c x̂²-weighted mean of
    /// the ratios ρ_k/x̂_k over x̂_k ≠ 0): on R the ratio lies in [1/(λb(1+u)), 1/(λa(1−u))]; elsewhere z/Q(z) ∈
    /// [1/2, 3/2] below saturation (any grid: Q(z) ≤ z + half a spacing, z ≥ β₀ = half the least value) and
    /// ρ/M ≤ ρ_max/M at saturation. The weight of R is at least (λa(1−u))²·Σ_R cρ², that of the others at
    /// most Σ c·min(M, 2λbρ)² (Q(z) ≤ 2z for z ≥ β₀); the extreme means put the least weight on R.
    /// Widened by 2^−40 for the rounding of S/N. `nil` if every x̂ is 0 in the window.
    func muRange(_ la: Double, _ lb: Double) -> (lo: Double, hi: Double)? {
        let m = rho.count
        let (z, r0, r1, _) = classes(la, lb)
        if z == m { return nil }
        let rhoMax = rho[m - 1]
        let oLo = 0.5 / lb
        let oHi = Swift.max(1.5 / la, maxValue.isFinite ? rhoMax / maxValue : 0)
        let rLo = 1 / (lb * (1 + u)), rHi = 1 / (la * (1 - u))
        let wr = r1 > r0 ? la * (1 - u) * la * (1 - u) * sums(r0, r1).cr2 : 0
        // Others: z..<r0 and r1..<m; weight ≤ c·min(M, 2λbρ)².
        func otherWeight(_ i: Int, _ j: Int) -> Double {
            guard j > i else { return 0 }
            if !maxValue.isFinite { return 4 * lb * lb * sums(i, j).cr2 }
            let k = Swift.min(j, Swift.max(i, count { 2 * lb * $0 < maxValue }))
            return 4 * lb * lb * sums(i, k).cr2 + maxValue * maxValue * sums(k, j).c
        }
        let wo = otherWeight(z, r0) + otherWeight(r1, m)
        var lo = oLo, hi = oHi
        if wr > 0 {
            lo = (wr * rLo + wo * oLo) / (wr + wo)
            hi = (wr * rHi + wo * Swift.max(oHi, rHi)) / (wr + wo)
            lo = Swift.min(lo, rLo); hi = Swift.max(hi, rHi)
        } else {
            lo = Swift.min(oLo, rLo); hi = Swift.max(oHi, rHi)
        }
        return (lo * (1 - 0x1p-40), hi * (1 + 0x1p-40))
    }
}
