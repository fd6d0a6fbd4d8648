// The events of the rescaling sweep of ChannelProblem (ChannelProblem+Sweep.swift): generation per segment, the
// rounding-boundary crossings of one coordinate, and the sort by λ.

extension ChannelProblem {
    /// Every event of the active coordinates inside the segment, each coordinate's events in crossing order
    /// (increasing λ).
    func generateEvents(_ segment: Segment, active: [Bool], maxEvents: Int) throws -> [ChannelEvent] {
        let limit = Swift.min(maxEvents, Int(Int32.max))
        let tableX = BoundaryTable(gridX), tableY = BoundaryTable(gridY)
        let tableBias = biasGrid.map { BoundaryTable($0) } ?? tableY
        func table(_ col: Int) -> BoundaryTable { col < n ? (col == n - 1 ? tableBias : tableY) : tableX }
        // ŷ = Q(λ|y|) moves up to `above` when λ|y| reaches β ∈ [start·|y|, end·|y|): λ = β/|y|.
        // x̂ = Q(|x|/λ) moves down to `below` when |x|/λ falls under β ∈ [|x|/end, |x|/start]: λ = |x|/β, taken in
        // decreasing β, i.e. increasing λ.
        func range(_ col: Int) -> (lower: Double, upper: Double) {
            let z = Swift.abs(parameter(col))
            return col < n ? (segment.start * z, segment.end * z) : (z / segment.end, z / segment.start)
        }
        var estimate = 0
        for col in 0..<(n + m) where active[col] {
            let r = range(col)
            if let c = table(col).countBound(from: r.lower, to: r.upper) { estimate += Swift.min(c, limit + 1) }
        }
        if estimate > limit {
            throw ChannelProblemError.tooManyEvents("the sweep needs about \(estimate) events, more than \(limit) (m = \(m), "
                + "n = \(n), grids \(gridX), \(gridY)); raise Options.maxEvents or use a coarser grid")
        }
        var events: [ChannelEvent] = []
        events.reserveCapacity(estimate)
        for col in 0..<(n + m) where active[col] {
            let p = parameter(col), z = Swift.abs(p), sign: Double = p < 0 ? -1 : 1, r = range(col)
            if col < n {
                table(col).forEach(from: r.lower, to: r.upper, closed: false, descending: false, limit: limit) { beta, _, above in
                    events.append(ChannelEvent(lambda: beta / z, value: sign * above, column: Int32(truncatingIfNeeded: col)))
                }
            } else {
                table(col).forEach(from: r.lower, to: r.upper, closed: true, descending: true, limit: limit) { beta, below, _ in
                    events.append(ChannelEvent(lambda: z / beta, value: sign * below, column: Int32(truncatingIfNeeded: col)))
                }
            }
            if events.count > limit {
                throw ChannelProblemError.tooManyEvents("the sweep needs more than \(limit) events (m = \(m), n = \(n), "
                    + "grids \(gridX), \(gridY)); raise Options.maxEvents or use a coarser grid")
            }
        }
        return events
    }

    /// Calls `body(β, below, above)` for every rounding boundary β of `g` with `lower ≤ β < upper` in increasing
    /// order, `below` and `above` the consecutive non-negative grid values β separates (β is their midpoint, as
    /// in `NumberGrid.forEachBoundary`); stops early when `body` returns false.
    static func forEachCrossing(_ g: any NumberGrid, from lower: Double, below upper: Double,
                                _ body: (Double, Double, Double) -> Bool) {
        guard upper > lower, upper > 0 else { return }
        let start = Swift.max(lower, 0)
        var v = g.round(start)
        if v > start { v = g.nextDown(v) }
        if v < 0 { v = 0 }
        let top = g.maxFinite
        while v < top {
            let w = g.nextUp(v)
            if !w.isFinite { break }
            let beta = v + (w - v) / 2
            if beta >= upper { break }
            if beta >= start && !body(beta, v, w) { return }
            v = w
        }
    }

    /// Sorts the events by λ, stably (events at the same λ stay in generation order, so one coordinate's events
    /// stay in crossing order). The bit patterns of positive doubles order like the values; a two-pass LSD radix
    /// sort (11-bit digits) on the top 22 significant bits of (pattern − smallest pattern) orders the events up to
    /// those bits, moving whole events (no gather); runs that share those bits are then finished by a stable
    /// insertion sort (a stable index sort for runs longer than 32).
    ///
    /// - Complexity: O(E) for spread-out λ; O(E log E) in the worst case.
    static func sortByLambda(_ events: inout [ChannelEvent]) {
        let count = events.count
        if count <= 1 { return }
        var minKey = UInt64.max, maxKey = UInt64.min
        for e in events { let k = e.lambda.bitPattern; minKey = Swift.min(minKey, k); maxKey = Swift.max(maxKey, k) }
        let significant = 64 - (maxKey - minKey).leadingZeroBitCount
        let shift = UInt64(Swift.max(0, significant - 22))
        let bits: UInt64 = 11, buckets = 1 << 11, mask = UInt64(buckets - 1)
        var histogram = [Int](repeating: 0, count: 2 * buckets)
        for e in events {
            let d = (e.lambda.bitPattern &- minKey) >> shift
            histogram[Int(d & mask)] += 1
            histogram[buckets + Int((d >> bits) & mask)] += 1
        }
        var scratch: [ChannelEvent] = []
        for pass in 0..<2 {
            let base = pass * buckets, s = shift + UInt64(pass) * bits
            if histogram[base + Int((events[0].lambda.bitPattern &- minKey) >> s & mask)] == count { continue }
            var sum = 0
            for b in 0..<buckets { let c = histogram[base + b]; histogram[base + b] = sum; sum += c }
            if scratch.isEmpty { scratch = events }
            events.withUnsafeBufferPointer { src in
                scratch.withUnsafeMutableBufferPointer { dst in
                    histogram.withUnsafeMutableBufferPointer { h in
                        for i in 0..<count {
                            let e = src[i]
                            let slot = base + Int((e.lambda.bitPattern &- minKey) >> s & mask)
                            let position = h[slot]
                            h[slot] = position + 1
                            dst[position] = e
                        }
                    }
                }
            }
            swap(&events, &scratch)
        }
        // Finish the runs that share the leading bits (nothing to do when shift = 0: equal digits, equal keys).
        guard shift > 0 else { return }
        events.withUnsafeMutableBufferPointer { ev in
            var start = 0
            while start < count {
                let digit = (ev[start].lambda.bitPattern &- minKey) >> shift
                var end = start + 1
                while end < count && (ev[end].lambda.bitPattern &- minKey) >> shift == digit { end += 1 }
                if end - start > 32 {
                    // Stable: order by (λ, position in the run).
                    let run = Array(ev[start..<end])
                    let order = (0..<run.count).sorted { a, b in
                        run[a].lambda < run[b].lambda || (run[a].lambda == run[b].lambda && a < b)
                    }
                    for (i, j) in order.enumerated() { ev[start + i] = run[j] }
                } else if end - start > 1 {
                    for i in (start + 1)..<end {
                        let item = ev[i]
                        var j = i
                        while j > start && ev[j - 1].lambda > item.lambda { ev[j] = ev[j - 1]; j -= 1 }
                        ev[j] = item
                    }
                }
                start = end
            }
        }
    }
}

/// One event of the rescaling sweep: at `lambda`, coordinate `column` (solver order) takes `value`.
@usableFromInline
struct ChannelEvent {
    @usableFromInline var lambda: Double
    @usableFromInline var value: Double
    @usableFromInline var column: Int32

    @inlinable
    init(lambda: Double, value: Double, column: Int32) {
        self.lambda = lambda
        self.value = value
        self.column = column
    }
}
