#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The data-aware neuron search of large perceptrons: a window of the rescaling family, evaluated in O(N) per
// breakpoint.

extension DenseChainDataAware {
    /// One neuron's search over a window of its rescaling family, for layers where the whole-family search of
    /// ``bestNeuronStep(inputs:count:y:residual:outputs:weightGrid:biasGrid:outgoingGrid:range:)`` is too costly
    /// (it refits the m outgoing weights at every breakpoint, O(N·m) each, over the whole range of λ).
    ///
    /// **Objective.** With the incoming parameters ŷ(λ) = Q(λ·y) (weights, then the bias on its grid), the
    /// pre-activations z = X·ŷ_w + ŷ_b and h = ReLU(z) on the N calibration rows, and the outgoing weights on the
    /// family too, x̂(λ) = Q(x/λ), the residual error is
    ///   E(λ) = ‖R − h x̂ᵀ‖² = ‖R‖² − 2 hᵀv + ‖x̂‖²‖h‖²,  v = R x̂,
    /// with R (N × m) the target minus every other neuron's contribution. A breakpoint of ŷ moves z by one column
    /// of X (O(N)), one of x̂ moves v by one column of R (O(N)), and E is re-read from h and v in O(N): the window
    /// λ ∈ [2^−W, 2^W] with K breakpoints costs O(K·N) instead of O(K·N·m).
    ///
    /// The search is exact on the window for this objective, the outgoing weights staying on the family (one free
    /// parameter per neuron, where the whole-family search refits m outgoing weights on the calibration rows:
    /// with fewer rows than a layer's inputs, as on large layers, that refit fits the rows rather than the
    /// function). The `candidates` pieces with the smallest incremental E are evaluated again from scratch at the
    /// middle of their piece (the incremental sums drift by rounding) and the best is returned; the caller keeps
    /// it only if it beats the current error, so a step never increases it.
    ///
    /// - Parameters:
    ///   - inputs: row-major N × n layer inputs; `columns`: the same, column-major (n × N), followed by N ones (the
    ///     bias's column), for the O(N) updates;
    ///   - y: n weights and a bias; `x`: the m outgoing weights, both from the reference aligned to the current
    ///     scale (so λ = 1 is the current scale);
    ///   - residual: row-major N × m.
    /// - Complexity: O(n·N + N·m) to set up, O(K log K + K·N) for the K breakpoints of the window, and
    ///   O(N·(n + m)) per candidate evaluated again.
    static func bestWindowedNeuronStep(inputs: [Double], columns: [Double], count N: Int, y: [Double],
                                       x: [Double], residual: [Double], outputs m: Int,
                                       weightGrid: any NumberGrid, biasGrid: any NumberGrid,
                                       outgoingGrid: any NumberGrid, windowBinades w: Double,
                                       candidates: Int) -> NeuronStep? {
        let n = y.count - 1
        guard N > 0, m > 0, y.contains(where: { $0 != 0 }) else { return nil }
        let hi = pow(2, w), lo = 1 / hi
        func inGrid(_ i: Int) -> any NumberGrid { i < n ? weightGrid : biasGrid }
        // Events (λ, coordinate, new value): coordinates 0…n are ŷ, n+1…n+m are x̂.
        var events: [(lambda: Double, index: Int, value: Double)] = []
        for i in 0...n where y[i] != 0 {
            let a = abs(y[i]), sign: Double = y[i] < 0 ? -1 : 1
            inGrid(i).forEachBoundary(from: lo * a, below: hi * a) { beta, above in
                events.append((beta / a, i, sign * above))
            }
        }
        for k in 0..<m where x[k] != 0 {
            // |x_k|/λ falls through β as λ rises past |x_k|/β: from `above` to the grid value below it.
            let a = abs(x[k]), sign: Double = x[k] < 0 ? -1 : 1
            outgoingGrid.forEachBoundary(from: a / hi, below: a / lo) { beta, above in
                events.append((a / beta, n + 1 + k, sign * outgoingGrid.nextDown(above)))
            }
        }
        events.sort { $0.lambda < $1.lambda }
        // Residual columns (m × N) and ‖R‖².
        var rT = [Double](repeating: 0, count: m * N)
        var rr = 0.0
        for s in 0..<N {
            for k in 0..<m {
                let v = residual[s * m + k]
                rT[k * N + s] = v
                rr += v * v
            }
        }
        // Two chunks split at a group of equal λ, each ranked on its own thread; each keeps its best pieces as
        // (E, piece start, piece end).
        var cut = events.count / 2
        while cut > 0 && cut < events.count && events[cut].lambda == events[cut - 1].lambda { cut += 1 }
        let bounds = events.count > 256 && cut < events.count ? [0, cut, events.count] : [0, events.count]
        let ranked: [[(e: Double, from: Double, to: Double)]] = parallelMap(bounds.count - 1) { c in
            let start = bounds[c], end = bounds[c + 1]
            var q = [Double](repeating: 0, count: n + 1 + m)
            for i in 0...n { q[i] = inGrid(i).round(lo * y[i]) }
            for k in 0..<m { q[n + 1 + k] = outgoingGrid.round(x[k] / lo) }
            for e in 0..<start { q[events[e].index] = events[e].value }
            var z = preActivations(inputs, count: N, incoming: Array(q[0...n]))
            var v = [Double](repeating: 0, count: N)
            var xx = 0.0
            for k in 0..<m { xx += q[n + 1 + k] * q[n + 1 + k] }
            for s in 0..<N {
                var dot = 0.0
                for k in 0..<m { dot += residual[s * m + k] * q[n + 1 + k] }
                v[s] = dot
            }
            var best: [(e: Double, from: Double, to: Double)] = []
            func consider(_ value: Double, _ from: Double, _ to: Double) {
                guard best.count < candidates || value < best[best.count - 1].e else { return }
                if best.count == candidates { best.removeLast() }
                let at = best.firstIndex { $0.e > value } ?? best.count
                best.insert((value, from, to), at: at)
            }
            /// E = ‖R‖² − 2 hᵀv + ‖x̂‖²‖h‖² for the current z and v. O(N).
            func error(_ zp: UnsafeMutableBufferPointer<Double>, _ vp: UnsafeMutableBufferPointer<Double>) -> Double {
                var hv = 0.0, hh = 0.0
                for s in 0..<N {
                    let h = Swift.max(zp[s], 0)
                    hv += h * vp[s]
                    hh += h * h
                }
                return rr - 2 * hv + xx * hh
            }
            var from = start > 0 ? events[start - 1].lambda : lo
            var e = start
            z.withUnsafeMutableBufferPointer { zp in
                v.withUnsafeMutableBufferPointer { vp in
                    columns.withUnsafeBufferPointer { cols in
                        rT.withUnsafeBufferPointer { rc in
                            var value = error(zp, vp)  // E of the piece that starts at `from`
                            while e < end {
                                let lambda = events[e].lambda
                                consider(value, from, lambda)  // the piece [from, λ) ends here
                                // The events at λ; the last one that changes a value also re-reads E (one pass).
                                var read = false
                                while e < end && events[e].lambda == lambda {
                                    let (_, i, new) = events[e]
                                    let last = e + 1 == end || events[e + 1].lambda != lambda
                                    e += 1
                                    let d = new - q[i]
                                    guard d != 0 else { continue }
                                    q[i] = new
                                    var hv = 0.0, hh = 0.0
                                    if i <= n {
                                        // z += d·X[:, i] (column n is all ones: the bias).
                                        let col = cols.baseAddress! + i * N
                                        if last {
                                            for s in 0..<N {
                                                let zs = zp[s] + d * col[s]
                                                zp[s] = zs
                                                let h = Swift.max(zs, 0)
                                                hv += h * vp[s]
                                                hh += h * h
                                            }
                                        } else {
                                            for s in 0..<N { zp[s] += d * col[s] }
                                        }
                                    } else {
                                        // v += d·R[:, k], ‖x̂‖² moves by new² − old².
                                        let k = i - n - 1, old = new - d
                                        xx += new * new - old * old
                                        let col = rc.baseAddress! + k * N
                                        if last {
                                            for s in 0..<N {
                                                let vs = vp[s] + d * col[s]
                                                vp[s] = vs
                                                let h = Swift.max(zp[s], 0)
                                                hv += h * vs
                                                hh += h * h
                                            }
                                        } else {
                                            for s in 0..<N { vp[s] += d * col[s] }
                                        }
                                    }
                                    if last {
                                        value = rr - 2 * hv + xx * hh
                                        read = true
                                    }
                                }
                                if !read { value = error(zp, vp) }
                                from = lambda
                            }
                            consider(value, from, c == bounds.count - 2 ? hi : events[end].lambda)
                        }
                    }
                }
            }
            return best
        }
        // The best pieces overall, evaluated again from scratch (the incremental sums drift by rounding).
        let pieces = ranked.flatMap { $0 }.sorted { $0.e < $1.e }.prefix(candidates)
        var result: NeuronStep?
        for piece in pieces {
            let lambda = (piece.from * piece.to).squareRoot()
            let q = (0...n).map { inGrid($0).round(lambda * y[$0]) }
            let out = x.map { outgoingGrid.round($0 / lambda) }
            let z = preActivations(inputs, count: N, incoming: q)
            var err = 0.0
            for s in 0..<N {
                let h = Swift.max(z[s], 0)
                for k in 0..<m {
                    let d = residual[s * m + k] - out[k] * h
                    err += d * d
                }
            }
            if result == nil || err < result!.error {
                result = NeuronStep(lambda: lambda, incoming: q, outgoing: out, error: err)
            }
        }
        return result
    }
}
