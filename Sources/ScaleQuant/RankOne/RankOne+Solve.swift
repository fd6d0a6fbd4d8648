extension RankOne {
    /// The weighted solver on concrete grids: sweep the x side, look up the y side, rebuild the winner.
    ///
    /// `parallel`: use ``Parallelism/threads`` inside this one problem (binades, tables built in parallel); callers
    /// that already run many problems side by side (network layers) pass `false`, which also builds the y tables
    /// lazily. `prune`: skip binades of λ by their lower bound (see `runSweep`). The answer is the same either way.
    /// `orders`: slot orders shared with another solve of the same problem (the F_p attempt, see
    /// ``solveThroughIdealized(_:_:a:c:b:d:keepY:parallel:orders:)``).
    static func solve<X: NumberGrid, Y: NumberGrid>(_ gx: X, _ gy: Y, a rawA: [Double], c rawC: [Double],
                                                   b rawB: [Double], d rawD: [Double], keepY: Bool,
                                                   parallel: Bool = true, prune: Bool = true,
                                                   orders: SlotOrderCache? = nil) throws -> WeightedResult {
        // Two exact power-of-two normalizations, neither of which changes any candidate's objective ranking:
        // (a, b) → (a·2^−e, b·2^e) leaves the objective unchanged and balances max|a/c| against max|b/d|, so
        // that λ and μ stay near 1; then (a, c) and (b, d) are divided by powers of two, which only multiplies the
        // objective by 2^−(ea+eb), so that no sum overflows.
        let ratioA = zip(rawA, rawC).map { $0 / $1 }, ratioB = zip(rawB, rawD).map { $0 / $1 }
        try checkRange(ratioA, "x"); try checkRange(ratioB, "y")
        let eA = binadeOfMax(ratioA), eB = binadeOfMax(ratioB)
        if !keepY { try checkProduct(binade: eA + eB) }
        let e = keepY ? 0 : (eA - eB) / 2
        let a0 = rawA.map { scaled($0, -e) }, b0 = rawB.map { scaled($0, e) }
        let ea = binadeOfMax(a0), eb = binadeOfMax(b0)
        let a = a0.map { scaled($0, -ea) }, c = rawC.map { scaled($0, -ea) }
        let b = b0.map { scaled($0, -eb) }, d = rawD.map { scaled($0, -eb) }
        // x side: r = a/c over the non-zero entries.
        var xIndex: [Int] = [], rho: [Double] = [], cw: [Double] = []
        for k in 0..<a.count where a[k] != 0 {
            xIndex.append(k); rho.append(Swift.abs(a[k] / c[k])); cw.append(c[k])
        }
        var yIndex: [Int] = [], sigma: [Double] = [], dw: [Double] = []
        for j in 0..<b.count where b[j] != 0 {
            yIndex.append(j); sigma.append(Swift.abs(b[j] / d[j])); dw.append(d[j])
        }
        var xHat = [Double](repeating: 0, count: a.count)
        var yHat = [Double](repeating: 0, count: b.count)
        if rho.isEmpty || sigma.isEmpty {
            return WeightedResult(xHat: xHat, yHat: yHat, lambda: 1, mu: 1, objective: 0, pieces: 0)
        }
        try checkBudget(gx, count: rho.count, side: "x", allBinades: !(gx.maxFinite == .infinity))
        if !keepY { try checkBudget(gy, count: sigma.count, side: "y", allBinades: !(gy.maxFinite == .infinity)) }
        // Float formats: breakpoints from the slot orders of ρ and σ (one sort per side instead of one per binade).
        let cache = orders ?? SlotOrderCache()
        let orderX = BoundaryLattice.of(gx).flatMap { cache.x($0, rho) }
        let orderY = keepY ? nil : BoundaryLattice.of(gy).flatMap { cache.y($0, sigma) }
        let sweep = ScaleSweep(grid: gx, rho: rho, weight: cw, order: orderX)
        let best: ScaleSweep<X>.Best
        if keepY {
            var energy = 0.0
            for j in 0..<sigma.count { energy += dw[j] * sigma[j] * sigma[j] }
            best = runSweep(sweep, ExactResponse(energy: energy), prepared: nil, parallel: parallel, prune: prune)
        } else if gx.maxFinite == .infinity && gx.smallestPositive == 0 {
            // F_p: a single binade on each side; tabulate y while the x breakpoints are generated and sorted.
            let k = Int((sigma.max()! / rho.max()!).squareRoot().exponent)  // balanced magnitudes
            let (response, prepared) = parallel
                ? parallelPair({ GridResponse(grid: gy, sigma: sigma, weight: dw, order: orderY) },
                               { sweep.prepare(binade: k) })
                : (GridResponse(grid: gy, sigma: sigma, weight: dw, order: orderY, lazy: true), sweep.prepare(binade: k))
            best = runSweep(sweep, response, prepared: prepared, parallel: parallel, prune: prune)
        } else {
            best = runSweep(sweep, GridResponse(grid: gy, sigma: sigma, weight: dw, order: orderY, lazy: !parallel),
                            prepared: nil,
                            parallel: parallel, prune: prune)
        }
        let g = sweep.magnitudes(of: best)
        var s = 0.0, n = 0.0
        for (t, k) in xIndex.enumerated() {
            xHat[k] = a[k] < 0 ? -g[t] : g[t]
            s += a[k] * xHat[k]
            n += c[k] * xHat[k] * xHat[k]
        }
        let mu = n > 0 ? s / n : best.mu
        var objective = 0.0
        if n > 0 {
            var bsum = 0.0, dsum = 0.0
            for j in yIndex {
                let target = mu * (b[j] / d[j])
                yHat[j] = keepY ? target : gy.round(target)
                bsum += b[j] * yHat[j]
                dsum += d[j] * yHat[j] * yHat[j]
            }
            objective = -2 * s * bsum + n * dsum
        }
        return WeightedResult(xHat: xHat, yHat: yHat, lambda: scaled(best.lambda, -e), mu: scaled(mu, e),
                              objective: scaled(objective, ea + eb), pieces: best.pieces)
    }

    /// Visits the binades of λ that matter and keeps the best state.
    ///
    /// With several binades, each gets a lower bound on its objective (``ScaleSweep/lowerBounds(_:response:subdivisions:)``);
    /// they are visited in increasing order of that bound, and a binade whose bound exceeds the best objective
    /// found so far by more than 10⁻⁹·E_x·E_y is skipped. **Skipping never changes the answer**: every state of a
    /// skipped binade is worse than the final minimum m* by more than 10⁻⁹·E_x·E_y, while the fold below only lets
    /// a state replace the running best if it is better or within 8 ulps (relative) of it; after the first state
    /// within (b+1)·8 ulps of m* has been folded in (b binades), the running best stays within b·8 ulps of m*, so
    /// such a state is never selected afterwards, and before that it could only have replaced running bests that
    /// the first near-optimal state replaces anyway (it is better than them by far more than the tolerance). The
    /// margin is also far above the rounding of the bounds and of the swept objectives (≈ 10⁻¹⁴·E_x·E_y).
    /// In parallel mode the first binade is swept alone, then the rest (pruned against it) in parallel.
    private static func runSweep<X: NumberGrid, R: ScaleResponse>(_ sweep: ScaleSweep<X>, _ response: R,
                                                                  prepared: ScaleSweep<X>.PreparedBinade?,
                                                                  parallel: Bool, prune: Bool)
        -> ScaleSweep<X>.Best {
        let binades = sweep.binadesToVisit(response: response)
        var results = [ScaleSweep<X>.Best](repeating: .init(), count: binades.count)
        var pruned = 0
        if binades.count == 1 {
            let p = prepared.flatMap { $0.binade == binades[0] ? $0 : nil } ?? sweep.prepare(binade: binades[0])
            results = [sweep.sweepAll(p, response: response, split: true, parallel: parallel)]
        } else if binades.count > 1 {
            let (coarse, scale) = prune ? sweep.lowerBounds(binades, response: response, subdivisions: 1)
                : ([Double](repeating: -.infinity, count: binades.count), 0)
            let margin = 1e-9 * scale
            // A binade that the coarse bound does not rule out gets a finer one before it is swept (when the coarse
            // bound is within a factor 2 of the best error so far; this choice affects speed, not the answer).
            func ruledOut(_ i: Int, _ upper: Double) -> Bool {
                guard prune else { return false }
                if coarse[i] > upper + margin { return true }
                // The finer bound rarely gains much over the coarse one; only try it when that could be enough.
                guard coarse[i] + scale >= 0.5 * (upper + scale) else { return false }
                let fine = sweep.lowerBounds([binades[i]], response: response, subdivisions: 8).bounds[0]
                return fine > upper + margin
            }
            // Most promising first: lowest bound, then nearest the binade where max|x̂| reaches the top binade.
            let top = grid(sweep).maxFinite.isFinite ? Int((grid(sweep).maxFinite / (sweep.rho.max() ?? 1)).exponent) - 1 : 0
            let order = binades.indices.sorted {
                coarse[$0] != coarse[$1] ? coarse[$0] < coarse[$1]
                    : (abs(binades[$0] - top), $0) < (abs(binades[$1] - top), $1)
            }
            var upper = 0.0   // the objective of x̂ = 0
            if parallel {
                let first = order[0]
                results[first] = sweep.sweepAll(sweep.prepare(binade: binades[first]), response: response,
                                                split: false, parallel: false)
                if results[first].binade != nil { upper = Swift.min(upper, results[first].objective) }
                let rest = order.dropFirst().filter { !ruledOut($0, upper) }
                pruned = binades.count - 1 - rest.count
                let swept = parallelMap(rest.count) { t in
                    sweep.sweepAll(sweep.prepare(binade: binades[rest[t]]), response: response, split: false,
                                   parallel: false, upper: prune ? upper : 0, margin: margin)
                }
                for (t, i) in rest.enumerated() { results[i] = swept[t] }
            } else {
                for i in order {
                    if ruledOut(i, upper) { pruned += 1; continue }
                    let r = sweep.sweepAll(sweep.prepare(binade: binades[i]), response: response, split: false,
                                           parallel: false, upper: prune ? upper : 0, margin: margin)
                    results[i] = r
                    if r.binade != nil { upper = Swift.min(upper, r.objective) }
                }
            }
        }
        // The lowest objective; states equal to it within rounding (exact copies, or several exact solutions)
        // are separated by balance, so that the answer does not drift to extreme exponents.
        var best = ScaleSweep<X>.Best()
        var bestImbalance = Double.infinity
        var pieces = 0
        for b in results {
            pieces += b.pieces
            guard b.binade != nil else { continue }
            let tolerance = 8 * Double.ulpOfOne * Swift.max(abs(b.objective), abs(best.objective))
            let imbalance = sweep.imbalance(lambda: b.lambda, mu: b.mu, response: response)
            if b.objective < best.objective - tolerance
                || (b.objective <= best.objective + tolerance && imbalance < bestImbalance) {
                best = b
                bestImbalance = imbalance
            }
        }
        best.pieces = pieces
        RankOneStatistics.recordSweep(binades: binades.count, pruned: pruned, pieces: pieces,
                                      tableEntries: response.tableEntries)
        return best
    }

    private static func grid<X>(_ s: ScaleSweep<X>) -> X { s.grid }

    /// The binade of the largest magnitude of `v` (0 if all are zero).
    static func binadeOfMax(_ v: [Double]) -> Int {
        let m = v.reduce(0) { Swift.max($0, Swift.abs($1)) }
        return m > 0 ? Int(m.exponent) : 0
    }

    /// v·2^e, exact unless it under- or overflows.
    @inline(__always)
    static func scaled(_ v: Double, _ e: Int) -> Double {
        e == 0 ? v : Double(sign: .plus, exponent: e, significand: v)
    }

    /// Throws if `v` is empty or has a non-finite entry.
    static func validate(_ v: [Double], _ name: String) throws {
        if v.isEmpty { throw RankOneError.empty(name) }
        for (i, e) in v.enumerated() where !e.isFinite { throw RankOneError.notFinite(name, index: i) }
    }

    /// ‖xyᵀ − x̂ŷᵀ‖_F / ‖xyᵀ‖_F computed entry by entry, not from the cancelling expansion
    /// ‖x‖²‖y‖² − 2(x·x̂)(y·ŷ) + ‖x̂‖²‖ŷ‖²: each entry's difference carries an absolute error of about one unit
    /// roundoff of x_i·y_j, so the result is accurate to about 1e-16 in absolute terms however small it is.
    /// 0 when xyᵀ = 0 and x̂ŷᵀ = 0, +inf when only xyᵀ = 0.
    ///
    /// Complexity: O(m·n).
    public static func relativeError(_ rawX: [Double], _ rawY: [Double], _ rawXHat: [Double], _ rawYHat: [Double]) -> Double {
        precondition(rawX.count == rawXHat.count && rawY.count == rawYHat.count, "relativeError: length mismatch")
        // Power-of-two normalization (exact) keeps huge or tiny inputs from overflowing: both products are divided
        // by 2^(ex+ey), the quantized one through x̂·2^−eh and ŷ·2^(eh−ex−ey).
        let ex = binadeOfMax(rawX), ey = binadeOfMax(rawY), eh = binadeOfMax(rawXHat)
        let x = rawX.map { scaled($0, -ex) }, y = rawY.map { scaled($0, -ey) }
        let xHat = rawXHat.map { scaled($0, -eh) }, yHat = rawYHat.map { scaled($0, eh - ex - ey) }
        var err = 0.0, ref = 0.0
        x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                xHat.withUnsafeBufferPointer { xh in
                    yHat.withUnsafeBufferPointer { yh in
                        let n = y.count, n4 = n & ~3
                        for i in 0..<x.count {
                            let xi = x[i], xhi = xh[i]
                            // Four independent accumulators let the loop pipeline (no reassociation needed).
                            var e0 = 0.0, e1 = 0.0, e2 = 0.0, e3 = 0.0
                            var j = 0
                            while j < n4 {
                                let d0 = xi * y[j] - xhi * yh[j], d1 = xi * y[j &+ 1] - xhi * yh[j &+ 1]
                                let d2 = xi * y[j &+ 2] - xhi * yh[j &+ 2], d3 = xi * y[j &+ 3] - xhi * yh[j &+ 3]
                                e0 += d0 * d0; e1 += d1 * d1; e2 += d2 * d2; e3 += d3 * d3
                                j &+= 4
                            }
                            while j < n { let d = xi * y[j] - xhi * yh[j]; e0 += d * d; j &+= 1 }
                            err += (e0 + e1) + (e2 + e3)
                        }
                        var nx = 0.0, ny = 0.0
                        for i in 0..<x.count { nx += x[i] * x[i] }
                        for j in 0..<y.count { ny += y[j] * y[j] }
                        ref = nx * ny
                    }
                }
            }
        }
        if ref == 0 { return err == 0 ? 0 : .infinity }
        return (err / ref).squareRoot()
    }
}
