// The exact line search over the rescaling family λ ↦ (Q_X(x/λ), Q_Y(λ·y)) of a channel problem: segments, the
// incremental sweep and its event loop (the events themselves: ChannelProblem+Events.swift).

extension ChannelProblem {
    /// The exact minimizer of f over the rescaling family x̂(λ) = Q_X(x/λ), ŷ(λ) = Q_Y(λ·y), λ > 0 (the bias on its
    /// own grid).
    ///
    /// **Events.** f(x̂(λ), ŷ(λ)) is piecewise constant in λ: ŷ_k changes exactly where λ|y_k| crosses a rounding
    /// boundary β of its grid (λ = β/|y_k|), x̂_o where |x_o|/λ crosses one (λ = |x_o|/β). The boundaries are the
    /// midpoints of consecutive grid values as `NumberGrid.forEachBoundary` defines them, tabulated once per grid
    /// (all values of a grid with at most 2^20 of them, one binade of F_p; other grids are walked with `nextUp`).
    /// Coordinates that are zero or carry no weight never produce events. The events are sorted by λ (a stable
    /// radix sort on the bit patterns) and walked in order; events at the same λ are applied together before f is
    /// evaluated, so every piece is evaluated once.
    ///
    /// **Range.** Bounded grids: from the λ below which every ŷ is 0 to the λ above which every x̂ is 0 (f = 0
    /// outside), subnormals and saturation included; where every active coordinate is in its grid's regular range
    /// (rounding commutes with doubling), consecutive binades of λ are exact copies (f(2λ) = f(λ)) and only one of
    /// them is swept. Idealized grids F_p (all of the channel's grids): f(2λ) = f(λ) for every λ, so one binade
    /// [λ₀, 2λ₀) is swept, λ₀ = 2^k/max|y| with k balancing max|x̂| against max|ŷ|. An unbounded grid next to a
    /// bounded one is refused (``ChannelProblemError/unsupportedGrids(_:)``).
    ///
    /// **Incremental evaluation.** The per-neuron sums U_t = Σ_k B[t,k]ŷ_k, P_t = Σ_k D[t,k]ŷ_k², V_t = Σ_o A[t,o]x̂_o,
    /// R_t = Σ_o C[t,o]x̂_o² and f = Σ_t (−2V_tU_t + R_tP_t) are updated per event over the entries of the moving
    /// coordinate only; f is a compensated sum, and all sums are recomputed from scratch whenever the work since the
    /// last recomputation exceeds 8·nnz (at most 1/8 extra), which bounds the drift. The sorted events are split in
    /// two halves (when there are at least 2^14), swept concurrently when ``Options/threads`` allows (the second
    /// starts from a state replayed to its first event; the split, hence the answer, does not depend on threads).
    /// Each half's winner is rebuilt by replaying the events and re-evaluated directly.
    ///
    /// **Ties.** A piece replaces the best one seen so far (in increasing λ) only if its objective is lower by more
    /// than 1e-13 relative: the answer is within that margin of the minimum, and which of several equally good
    /// pieces it is does not depend on the rounding noise of the incremental sums (about 1e-15 relative), only on
    /// the order of the pieces in λ (smallest λ first). The sweep starts where the family starts
    /// (bounded grids) or at λ₀ = 2^k/|y_k*|, y_k* the largest incoming parameter (F_p); both move with the channel's
    /// scaling, so (x/s, s·y) gives the same piece (a power-of-two copy of it on F_p) for every s > 0, not only the
    /// same objective. Coordinates without any weight take their family value at the returned ``Solution/lambda``
    /// (they do not change f). If f vanishes on the whole family (every weighted incoming, or every weighted
    /// outgoing, parameter is 0), the zero point is returned, with `lambda` nil.
    ///
    /// - Complexity: O(E log E + Σ_events nnz(column)) for E events (the sort is a radix sort, O(E) in practice),
    ///   plus O(nnz) per segment and per recomputation; memory O(E + nnz) (48 bytes per event). E ≤ (m + n)·K for
    ///   grids with K positive values, about (m + n)·2^(p−1) for F_p. Measured (release, 2 shared cores):
    ///   m = n = 1000, N = 64, 64 entries per coordinate (nnz = 128,000), e4m3: 141,000 events, about 20 ms.
    /// - Throws: ``ChannelProblemError/tooManyEvents(_:)`` beyond ``Options/maxEvents``,
    ///   ``ChannelProblemError/unsupportedGrids(_:)``, ``ChannelProblemError/outOfRange(_:)`` for inputs spanning
    ///   nearly all of binary64.
    public func solveOverRescaling(options: Options = Options()) throws -> Solution {
        let columns = n + m
        var active = [Bool](repeating: false, count: columns)
        var anyIncoming = false, anyOutgoing = false
        for col in 0..<columns where parameter(col) != 0 && columnStart[col + 1] > columnStart[col] {
            active[col] = true
            if col < n { anyIncoming = true } else { anyOutgoing = true }
        }
        guard anyIncoming && anyOutgoing && neuronCount > 0 else {
            // Every weighted parameter of one side is zero: f ≡ 0 on the whole family. The zero point (on the
            // weighted coordinates) is returned, a choice that does not depend on the scaling of x and y.
            var v = familyMember(1)
            for col in 0..<columns where columnStart[col + 1] > columnStart[col] { v[col] = 0 }
            let (xh, yh) = split(v)
            return Solution(xHat: xh, yHat: yh, objective: evaluate(v), lambda: nil, pieces: 1, refinementRounds: 0)
        }
        let segments = try plan(active: active, options: options)
        var best: SegmentResult?
        var pieces = 0
        for segment in segments {
            let r = try sweep(segment, active: active, options: options)
            pieces += r.pieces
            if best == nil || Self.improves(r.objective, on: best!.objective) { best = r }
        }
        let winner = best!
        var values = winner.values
        let member = familyMember(winner.lambda)
        for col in 0..<columns where !active[col] { values[col] = member[col] }
        let (xh, yh) = split(values)
        return Solution(xHat: xh, yHat: yh, objective: evaluate(values), lambda: winner.lambda, pieces: pieces,
                        refinementRounds: 0)
    }

    /// The relative margin by which a piece must beat the best one seen so far (see the tie rule).
    static let tieMargin = 1e-13

    /// Whether `value` beats `best` by more than the tie margin.
    static func improves(_ value: Double, on best: Double) -> Bool { value < best - tieMargin * Swift.abs(best) }

    /// A stretch [start, end) of λ, swept from the family member at `start`.
    struct Segment {
        var start: Double
        var end: Double
    }

    /// The best state of one segment: column values in solver order, exact objective, a λ inside its piece.
    struct SegmentResult {
        var values: [Double]
        var objective: Double
        var lambda: Double
        var pieces: Int
    }


    /// The segments of λ to sweep (see ``solveOverRescaling(options:)``).
    func plan(active: [Bool], options: Options) throws -> [Segment] {
        var periodic = true, bounded = true
        for col in 0..<(n + m) where active[col] {
            let g = grid(forColumn: col)
            if let r = g.regularRange, r.lower == 0, r.upper == .infinity {} else { periodic = false }
            if !(g.maxFinite.isFinite && g.smallestPositive > 0) { bounded = false }
        }
        if periodic {
            var maxX = 0.0, maxY = 0.0, minX = Double.infinity, minY = Double.infinity
            var estimate = 0
            for col in 0..<(n + m) where active[col] {
                let z = Swift.abs(parameter(col))
                if col < n { maxY = Swift.max(maxY, z); minY = Swift.min(minY, z) } else { maxX = Swift.max(maxX, z); minX = Swift.min(minX, z) }
                if let f = grid(forColumn: col) as? FloatFormat {
                    estimate += f.precision > 40 ? options.maxEvents : (1 << (f.precision - 1)) + 2
                }
            }
            if estimate > options.maxEvents {
                throw ChannelProblemError.tooManyEvents("one binade of the idealized grid needs about \(estimate) events "
                    + "(limit \(options.maxEvents)); use a lower precision or raise Options.maxEvents")
            }
            // λ₀ = 2^k/max|y|: 1/max|y| moves with the scaling of the channel, which makes the first piece of the
            // binade (the tie-break) independent of it; 2^k balances max|x̂| ≈ max|x|·max|y|/2^k against max|ŷ| ≈ 2^k.
            let k = (Int(maxX.exponent) + Int(maxY.exponent)) / 2
            let lambda0 = Double(sign: .plus, exponent: k, significand: 1 / maxY)
            let spans = [(maxY * lambda0).exponent, (minY * lambda0).exponent, (maxX / lambda0).exponent, (minX / lambda0).exponent]
            guard lambda0.isNormal, spans.allSatisfy({ Swift.abs($0) <= 960 }) else {
                throw ChannelProblemError.outOfRange("x and y span too many binades for the idealized grid "
                    + "(|x| in 2^\(minX.exponent)…2^\(maxX.exponent), |y| in 2^\(minY.exponent)…2^\(maxY.exponent))")
            }
            return [Segment(start: lambda0, end: 2 * lambda0)]
        }
        guard bounded else {
            throw ChannelProblemError.unsupportedGrids("an unbounded grid (\(gridX), \(gridY)"
                + (biasGrid.map { ", bias \($0)" } ?? "") + ") can only be combined with idealized grids F_p: "
                + "the objective is then neither periodic in λ nor confined to a finite range")
        }
        // Below s every ŷ is 0, above e every x̂ is 0: f = 0 outside [s, e).
        var s = Double.infinity, e = 0.0
        var lo = 0.0, hi = Double.infinity, regular = true
        for col in 0..<(n + m) where active[col] {
            let g = grid(forColumn: col), z = Swift.abs(parameter(col))
            let firstBoundary = g.nextUp(0) / 2
            if col < n { s = Swift.min(s, firstBoundary / z) } else { e = Swift.max(e, z / firstBoundary) }
            if let r = g.regularRange {
                if col < n { lo = Swift.max(lo, r.lower / z); hi = Swift.min(hi, r.upper / z) }
                else { lo = Swift.max(lo, z / r.upper); hi = Swift.min(hi, z / r.lower) }
            } else { regular = false }
        }
        s /= 2
        e *= 2
        guard s > 0, e.isFinite, s.isNormal else {
            throw ChannelProblemError.outOfRange("x and y are too far apart for the grids' ranges within binary64")
        }
        // The regular window [L, H): every binade of λ in it is a copy of [L, 2L) (f(2λ) = f(λ)).
        if regular {
            let L = Swift.max(lo * (1 + 0x1p-40), s), H = Swift.min(hi * (1 - 0x1p-40), e)
            if L.isFinite && H >= 4 * L {
                var t = L
                while 2 * t <= H { t *= 2 }
                return [Segment(start: s, end: 2 * L), Segment(start: t, end: e)]
            }
        }
        return [Segment(start: s, end: e)]
    }

    /// Sweeps one segment and returns its best state.
    func sweep(_ segment: Segment, active: [Bool], options: Options) throws -> SegmentResult {
        let initial = familyMember(segment.start)
        var sorted = try generateEvents(segment, active: active, maxEvents: options.maxEvents)
        Self.sortByLambda(&sorted)
        let count = sorted.count
        // The work after which the sums are recomputed from scratch: at most 1/8 extra cost.
        let recomputeAfter = Swift.max(8 * nonZeroCount, 1 << 12)
        var split = count
        if count >= 1 << 14 {
            split = count / 2
            while split < count && sorted[split].lambda == sorted[split - 1].lambda { split += 1 }
        }
        let chunks: [(index: Int, groups: Int)]
        if split < count {
            let (a, b) = parallelPair({ runChunk(sorted, initial, from: 0, to: split, recomputeAfter) },
                                      { runChunk(sorted, initial, from: split, to: count, recomputeAfter) },
                                      threads: options.threads)
            chunks = [a, b]
        } else {
            chunks = [runChunk(sorted, initial, from: 0, to: count, recomputeAfter)]
        }
        // Rebuild each chunk's winner exactly and keep the better (the earlier on a tie).
        var best: (values: [Double], objective: Double, index: Int)?
        for chunk in chunks {
            var values = initial
            for event in sorted[..<chunk.index] { values[Int(event.column)] = event.value }
            let f = evaluate(values)
            if best == nil || Self.improves(f, on: best!.objective) { best = (values, f, chunk.index) }
        }
        let index = best!.index
        let lambda: Double
        if index == 0 {
            lambda = segment.start
        } else if index == count {
            let last = sorted[count - 1].lambda
            lambda = last < segment.end ? last + (segment.end - last) / 2 : last
        } else {
            let a = sorted[index - 1].lambda, b = sorted[index].lambda
            lambda = a + (b - a) / 2
        }
        return SegmentResult(values: best!.values, objective: best!.objective, lambda: lambda,
                             pieces: chunks.reduce(1) { $0 + $1.groups })
    }

    /// Sweeps the sorted events `from..<to`, starting from the initial state with events `0..<from` applied;
    /// returns the number of events applied at the best state seen and the number of groups evaluated.
    func runChunk(_ sorted: [ChannelEvent], _ initial: [Double], from: Int, to: Int, _ recomputeAfter: Int)
        -> (index: Int, groups: Int) {
        var current = initial
        for event in sorted[..<from] { current[Int(event.column)] = event.value }
        var state = [Double](repeating: 0, count: 4 * neuronCount)
        return withKernel { k in
            sorted.withUnsafeBufferPointer { ev in
                current.withUnsafeMutableBufferPointer { cur in
                    state.withUnsafeMutableBufferPointer { st in
                        let r = k.sweep(from: from, to: to, events: ev.baseAddress!, current: cur.baseAddress!,
                                        state: st.baseAddress!, recomputeAfter: recomputeAfter, tieMargin: Self.tieMargin)
                        return (r.index, r.groups)
                    }
                }
            }
        }
    }

    /// The rounding boundaries of one grid, tabulated for the event generation.
    enum BoundaryTable {
        /// A finite grid: `beta[i]` separates `value[i]` and `value[i + 1]` (value[0] = 0, the non-negative values).
        case finite(beta: [Double], value: [Double])
        /// An idealized grid F_p: the boundaries of the binade [1, 2), `beta[j]` between `value[j]` and
        /// `value[j + 1]` (value[0] = 1, value[2^(p−1)] = 2); every other binade is an exact power-of-two copy.
        case binade(beta: [Double], value: [Double])
        /// Anything else: the grid's own `nextUp`, one boundary at a time.
        case enumerated(any NumberGrid)

        /// Tabulates `g` when that is cheap (at most 2^20 values, or F_p with p ≤ 21).
        init(_ g: any NumberGrid) {
            if let f = g as? FloatFormat, f.isIdealized, f.precision <= 21 {
                let half = 1 << (f.precision - 1), step = Double(sign: .plus, exponent: 1 - f.precision, significand: 1)
                let value: [Double] = (0...half).map { (j: Int) -> Double in 1 + Double(j) * step }
                let beta: [Double] = (0..<half).map { (j: Int) -> Double in value[j] + step / 2 }
                self = .binade(beta: beta, value: value)
            } else if g.maxFinite.isFinite, g.smallestPositive > 0, let count = g.positiveValueCount, count <= 1 << 20,
                      let value = g.nonNegativeValues(limit: 1 << 20) {
                let beta: [Double] = (0..<(value.count - 1)).map { (i: Int) -> Double in
                    let v = value[i], w = value[i + 1]
                    return v + (w - v) / 2
                }
                self = .finite(beta: beta, value: value)
            } else {
                self = .enumerated(g)
            }
        }

        /// Calls `body(β, below, above)` for the boundaries with `lower ≤ β ≤ upper` (`upper` included when
        /// `closed`), in increasing β order, or in decreasing order when `descending`. Enumerated grids stop after
        /// `limit` boundaries (the caller's budget check then fails).
        func forEach(from lower: Double, to upper: Double, closed: Bool, descending: Bool, limit: Int,
                     _ body: (Double, Double, Double) -> Void) {
            guard upper >= lower, upper > 0 else { return }
            switch self {
            case .finite(let beta, let value):
                let first = beta.countBelow(lower)
                let end = closed ? beta.countBelow(upper, orEqual: true) : beta.countBelow(upper)
                guard first < end else { return }
                beta.withUnsafeBufferPointer { b in
                    value.withUnsafeBufferPointer { v in
                        if descending {
                            var i = end - 1
                            while i >= first { body(b[i], v[i], v[i + 1]); i -= 1 }
                        } else {
                            for i in first..<end { body(b[i], v[i], v[i + 1]) }
                        }
                    }
                }
            case .binade(let beta, let value):
                guard lower.isFinite, upper.isFinite else { return }
                let low = Swift.max(lower, .leastNormalMagnitude)
                let e0 = Int(low.exponent), e1 = Int(upper.exponent)
                let binades = descending ? Array((e0...e1).reversed()) : Array(e0...e1)
                for e in binades {
                    let scale = Double(sign: .plus, exponent: e, significand: 1)
                    let lo = low / scale, hi = upper / scale  // exact: powers of two
                    let first = beta.countBelow(lo)
                    let end = closed ? beta.countBelow(hi, orEqual: true) : beta.countBelow(hi)
                    if first >= end { continue }
                    if descending {
                        var i = end - 1
                        while i >= first { body(beta[i] * scale, value[i] * scale, value[i + 1] * scale); i -= 1 }
                    } else {
                        for i in first..<end { body(beta[i] * scale, value[i] * scale, value[i + 1] * scale) }
                    }
                }
            case .enumerated(let g):
                var all: [(Double, Double, Double)] = []
                var seen = 0
                let top = closed ? upper.nextUp : upper
                ChannelProblem.forEachCrossing(g, from: lower, below: top) { b, v, w in
                    if descending { all.append((b, v, w)) } else { body(b, v, w) }
                    seen += 1
                    return seen <= limit
                }
                for (b, v, w) in all.reversed() { body(b, v, w) }
            }
        }

        /// An upper bound on the number of boundaries in [lower, upper] (`nil` if unknown).
        func countBound(from lower: Double, to upper: Double) -> Int? {
            guard upper >= lower, upper > 0 else { return 0 }
            switch self {
            case .finite(let beta, _):
                return beta.countBelow(upper, orEqual: true) - beta.countBelow(lower)
            case .binade(let beta, _):
                let low = Swift.max(lower, .leastNormalMagnitude)
                guard low.isFinite, upper.isFinite else { return Int.max / 4 }
                return (Int(upper.exponent) - Int(low.exponent) + 1) * beta.count
            case .enumerated:
                return nil
            }
        }
    }
}

extension Array where Element == Double {
    /// In a sorted array: the number of leading elements below `x` (or at most `x` when `orEqual`). O(log count).
    fileprivate func countBelow(_ x: Double, orEqual: Bool = false) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if self[mid] < x || (orEqual && self[mid] == x) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

extension ChannelKernel {
    /// The event loop: applies the sorted events `from..<to` to `current` (column values) and `state` (per-neuron
    /// U, P, V, R), evaluating f after each group of events at one λ; returns the number of events applied at the
    /// best state (the first to beat every earlier one by more than `tieMargin`, relative), its tracked f, and the
    /// number of groups. No allocation.
    ///
    /// - Complexity: O(Σ nnz of the moving columns) plus one O(nnz) recomputation per `recomputeAfter` entries.
    @inlinable
    func sweep(from: Int, to: Int, events: UnsafePointer<ChannelEvent>, current: UnsafeMutablePointer<Double>,
               state: UnsafeMutablePointer<Double>, recomputeAfter: Int, tieMargin: Double)
        -> (index: Int, objective: Double, groups: Int) {
        var f = CompensatedSum()
        f.add(computeState(current, state))
        var best = f.value, bestIndex = from
        var work = 0, groups = 0
        var i = from
        while i < to {
            let lam = events[i].lambda
            repeat {
                let col = Int(events[i].column)
                let newValue = events[i].value, oldValue = current[col]
                if newValue != oldValue {
                    current[col] = newValue
                    let d = newValue - oldValue, d2 = newValue * newValue - oldValue * oldValue
                    let own = ownSlot(col)
                    let mine = state + own, theirs = state + (2 - own)
                    // Δf = −2·d·Σ lin·(V or U) + d2·Σ quad·(R or P): two independent dot products.
                    var alpha = 0.0, gamma = 0.0
                    var e = columnStart[col]
                    let end = columnStart[col + 1]
                    work &+= end &- e
                    while e < end {
                        let t = Int(offset[e])
                        let l = linear[e], q = quadratic[e]
                        alpha += l * theirs[t]
                        gamma += q * theirs[t + 1]
                        mine[t] += l * d
                        mine[t + 1] += q * d2
                        e &+= 1
                    }
                    f.add(d2 * gamma - 2 * d * alpha)
                }
                i &+= 1
            } while i < to && events[i].lambda == lam
            groups &+= 1
            if work >= recomputeAfter {
                f = CompensatedSum()
                f.add(computeState(current, state))
                work = 0
            }
            let v = f.value
            if v < best - tieMargin * Swift.abs(best) {
                best = v
                bestIndex = i
            }
        }
        return (bestIndex, best, groups)
    }
}
