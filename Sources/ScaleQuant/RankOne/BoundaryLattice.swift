/// The rounding boundaries of a binary float grid, seen on the lattice of *slots* 2^E·(1 + i/2^p), i < 2^p.
///
/// Every rounding boundary of a float format of precision p (a midpoint of two consecutive non-negative values)
/// lies on this lattice: in a normal binade the midpoints are 2^E·(1 + (2j+1)/2^p) (the odd slots); in the
/// subnormal binades they are coarser (even slots, fewer significant bits); the first boundary (half the least
/// value) is a power of two (slot 0); the top binade of a saturating format holds a subset of the odd slots; and
/// there are none below the first or above the last boundary. ``init(_:)`` checks this value by value and fails
/// otherwise (integer grids, or p > 11, use the generic path).
///
/// **Why it helps the sweep.** With ρ = 2^e·f (f ∈ [1, 2)), the breakpoints of coordinate k in the λ binade
/// [2^κ, 2^(κ+1)) are β/ρ_k for the boundaries β = 2^(κ+e_k+o)·t_i in [2^κ ρ_k, 2^(κ+1) ρ_k): o = 0 for the slots
/// with t_i ≥ f_k, o = 1 for t_i < f_k. Their binary64 values are 2^κ·u with u = fl(t_i/f_k)·2^o (division and
/// a power-of-two scaling commute with rounding), so **the order of the breakpoints by (key, coordinate) is the
/// same in every binade of λ**, up to which (coordinate, slot) pairs are boundaries there. One sort of the
/// m·2^(p−1) odd-slot pairs per problem (``SlotOrder``) therefore replaces one sort per binade of λ (about 20–30
/// for e4m3), and each binade's sorted breakpoints are a filtered scan of that order, merged with the few
/// breakpoints of irregular (subnormal) slots, which are generated and sorted per binade. The keys, their order
/// (ties by coordinate index) and the values reached are exactly those of the generic generate-and-sort path.
struct BoundaryLattice: Sendable {
    /// Slot bits: the grid's precision p. Slots per binade: 2^p.
    let p: Int
    let slots: Int
    /// t_i = 1 + i/2^p.
    let t: [Double]
    /// Whether the exponent range is unbounded (F_p: every binade is regular).
    let unbounded: Bool
    /// Binades E (of magnitudes z) holding boundaries: `eLo...eHi` (bounded grids).
    let eLo: Int, eHi: Int
    /// Pattern of binade E (bounded grids): `patternOf[E − eLo]`; pattern 0 is the regular one (odd slots).
    let patternOf: [Int32]
    /// `active[id·slots + i]`: whether slot i is a boundary in pattern id.
    let active: [Bool]
    /// `above[id·slots + i]`: the grid value just above that boundary, divided by 2^E.
    let above: [Double]
    /// `active` as 0/1 bytes, followed by one all-zero row (the pattern of binades without boundaries): the
    /// branch-free scan of ``SlotOrder/events(binade:)`` adds these flags to its write position.
    let activeFlags: [UInt8]
    /// Per pattern, its active slots that are not odd (the irregular slots), in increasing order.
    let irregular: [[Int]]
    /// The format's smallest normal value (0 for F_p) and largest finite value (+∞ for F_p).
    let smallestNormal: Double
    let maxFinite: Double

    /// Builds the lattice of a float grid, or fails if the grid is not one (or is too fine to be worth it).
    init?(_ grid: some NumberGrid) {
        guard let format = grid as? FloatFormat, format.precision >= 1, format.precision <= 11 else { return nil }
        let p = format.precision
        self.p = p
        smallestNormal = format.smallestNormal
        maxFinite = format.maxFinite
        slots = 1 << p
        t = (0..<(1 << p)).map { 1 + Double($0) / Double(1 << p) }
        // Pattern 0: the regular (F_p) binade.
        var active = [Bool](repeating: false, count: slots), above = [Double](repeating: 0, count: slots)
        for i in stride(from: 1, to: slots, by: 2) {
            active[i] = true
            above[i] = 1 + Double(i + 1) / Double(slots)
        }
        var irregular: [[Int]] = [[]]
        if format.isIdealized {
            unbounded = true
            eLo = 0; eHi = -1; patternOf = []
            // Check the pattern on one binade.
            var ok = true, seen = 0
            format.forEachBoundary(from: 1, below: 2) { beta, w in
                let x = (beta - 1) * Double(1 << p)
                let i = Int(x)
                if Double(i) != x || i < 0 || i >= (1 << p) || !active[i] || above[i] != w { ok = false }
                seen += 1
            }
            guard ok, seen == slots / 2 else { return nil }
            self.active = active; self.above = above + [Double](repeating: 0, count: slots); self.irregular = irregular
            activeFlags = active.map { $0 ? 1 : 0 } + [UInt8](repeating: 0, count: slots)
            return
        }
        unbounded = false
        let first = format.smallestPositive / 2
        let last = format.nextDown(format.maxFinite) / 2 + format.maxFinite / 2
        guard first > 0, last.isFinite else { return nil }
        let lo = Int(first.exponent), hi = Int(last.exponent)
        guard lo >= -1000, hi <= 1000, hi >= lo else { return nil }
        eLo = lo; eHi = hi
        var patternOf = [Int32](repeating: 0, count: hi - lo + 1)
        let regularActive = active, regularAbove = above
        for e in lo...hi {
            let scale = Double(sign: .plus, exponent: e, significand: 1)
            var act = [Bool](repeating: false, count: slots), abv = [Double](repeating: 0, count: slots)
            var ok = true
            format.forEachBoundary(from: scale, below: 2 * scale) { beta, w in
                let x = (beta / scale - 1) * Double(1 << p)
                let i = Int(x)
                if Double(i) != x || i < 0 || i >= (1 << p) { ok = false; return }
                act[i] = true
                abv[i] = w / scale
            }
            guard ok else { return nil }
            if act == regularActive && abv == regularAbove {
                patternOf[e - lo] = 0
                continue
            }
            // Reuse an identical pattern if there is one.
            var id = -1
            for q in 1..<irregular.count {
                let base = q * slots
                if Array(active[base..<(base + slots)]) == act && Array(above[base..<(base + slots)]) == abv { id = q; break }
            }
            if id < 0 {
                id = irregular.count
                active += act; above += abv
                irregular.append((0..<slots).filter { act[$0] && $0 % 2 == 0 })
            }
            patternOf[e - lo] = Int32(id)
        }
        self.patternOf = patternOf
        self.active = active; self.above = above + [Double](repeating: 0, count: slots); self.irregular = irregular
        activeFlags = active.map { $0 ? 1 : 0 } + [UInt8](repeating: 0, count: slots)
    }

    /// ``roundTiesDown(_:_:)`` on this lattice's format (`grid`): in the normal range by bit arithmetic (drop the
    /// low 53 − p bits of the binary64 pattern, rounding up only beyond the half), elsewhere the generic way.
    @inline(__always)
    func roundTiesDown<G: NumberGrid>(_ z: Double, _ grid: G) -> Double {
        if z >= maxFinite { return maxFinite }
        if z >= smallestNormal && z >= Double.leastNormalMagnitude {
            let shift = UInt64(53 &- p)
            let bits = z.bitPattern
            let rem = bits & ((1 << shift) &- 1)
            var q = bits >> shift
            if rem > (1 << (shift &- 1)) { q &+= 1 }
            let r = Double(bitPattern: q << shift)
            return r > maxFinite ? maxFinite : r
        }
        return ScaleQuant.roundTiesDown(grid, z)
    }

    /// The pattern of magnitude binade E (−1: no boundary there).
    @inline(__always)
    func pattern(_ e: Int) -> Int32 {
        if unbounded { return 0 }
        if e < eLo || e > eHi { return -1 }
        return patternOf[e &- eLo]
    }
}

/// The breakpoints of one binade of the scale, sorted by (key, coordinate): coordinate `index[t]` moves up to the
/// grid value `value[t]` when the scale crosses `key[t]`. Raw buffers (no reference counting or bounds checks in
/// the sweep's inner loop), freed with the object; read-only once filled, so it may be shared between threads.
final class BinadeEvents: @unchecked Sendable {
    let capacity: Int
    let key: UnsafeMutablePointer<Double>
    let index: UnsafeMutablePointer<UInt32>
    let value: UnsafeMutablePointer<Double>
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 1)
        key = .allocate(capacity: self.capacity)
        index = .allocate(capacity: self.capacity)
        value = .allocate(capacity: self.capacity)
    }

    deinit {
        key.deallocate(); index.deallocate(); value.deallocate()
    }

    @inline(__always)
    func append(_ k: Double, _ i: UInt32, _ v: Double) {
        key[count] = k; index[count] = i; value[count] = v
        count &+= 1
    }

    /// Sets the count after the buffers were filled directly.
    func setCount(_ n: Int) {
        precondition(n <= capacity)
        count = n
    }
}

/// One (coordinate, odd slot) pair of a ``SlotOrder``: its position u ∈ [1, 2] in any binade of the scale, the
/// coordinate, the slot and o (whether the boundary lies in the next binade of magnitudes).
struct SlotEntry {
    var u: Double
    var k: UInt32
    var slot: UInt16
    var o: UInt8
}

/// The magnitudes of one side of a problem (ρ = |a/c| or σ = |b/d|, non-zero) split as 2^e·f, and the order of
/// all their odd-slot breakpoints by (u, coordinate) (see ``BoundaryLattice``), computed once per problem. The
/// order depends only on the magnitudes and the precision, so one order serves a bounded format and the F_p of
/// the same precision (``with(_:)``).
///
/// Complexity: building O(m·2^(p−1)) plus one bucket sort of that many keys; each binade's events then cost
/// O(m·2^(p−1)) for the scan (one table lookup per pair) plus O(s) for its s irregular breakpoints (bucket sort).
struct SlotOrder: Sendable {
    private(set) var lattice: BoundaryLattice
    /// Exponent and significand of each magnitude.
    let e: [Int32]
    let f: [Double]
    /// The odd-slot pairs sorted by (u, coordinate).
    let entries: [SlotEntry]

    init?(lattice: BoundaryLattice, magnitudes: [Double]) {
        let half = lattice.slots / 2
        guard magnitudes.count > 0, magnitudes.count < Int(UInt32.max) / Swift.max(half, 1) else { return nil }
        self.lattice = lattice
        var e = [Int32](repeating: 0, count: magnitudes.count), f = [Double](repeating: 0, count: magnitudes.count)
        for (i, r) in magnitudes.enumerated() {
            guard r > 0, r.isFinite, abs(Int(r.exponent)) < 900 else { return nil }
            e[i] = Int32(r.exponent)
            f[i] = r.significand
        }
        self.e = e; self.f = f
        // One entry per (coordinate, odd slot); index = k·half + j encodes both, and orders ties by coordinate.
        var sorter = BreakpointSorter()
        sorter.entries.reserveCapacity(magnitudes.count * half)
        let t = lattice.t
        for i in 0..<magnitudes.count {
            let fi = f[i]
            for j in 0..<half {
                let ti = t[2 * j + 1]
                let q = ti / fi
                sorter.append(ti >= fi ? q : 2 * q, UInt32(i * half + j))
            }
        }
        sorter.sort(binade: 0)
        entries = sorter.entries.map { entry in
            let i = Int(entry.index) / half, j = Int(entry.index) % half
            return SlotEntry(u: entry.key, k: UInt32(i), slot: UInt16(2 * j + 1), o: t[2 * j + 1] >= f[i] ? 0 : 1)
        }
    }

    /// The same order on another lattice of the same precision (F_p instead of the bounded format, say).
    func with(_ other: BoundaryLattice) -> SlotOrder {
        precondition(other.p == lattice.p, "slot orders are shared only between grids of one precision")
        var s = self
        s.lattice = other
        return s
    }

    /// The sorted breakpoints of the binade [2^κ, 2^(κ+1)) of the scale.
    ///
    /// The scan is branch-free: every pair is written to the output and the write position advances by the
    /// pair's activity flag (a coordinate with no boundary in that binade points to an all-inactive row).
    func events(binade kappa: Int) -> BinadeEvents {
        let m = e.count
        let lat = lattice
        let slots = lat.slots
        let scaleKappa = powerOfTwo(kappa)
        let noneRow = lat.activeFlags.count / slots - 1   // the all-inactive pattern
        // Per coordinate and o: the row of its magnitude binade's pattern and 2^E; irregular breakpoints on the
        // side, collected in coordinate order and bucket-sorted by (u, position), i.e. by (u, coordinate).
        var row = [Int32](repeating: 0, count: 2 * m)
        var scale = [Double](repeating: 0, count: 2 * m)
        var irregular = BreakpointSorter()
        var irregularK: [UInt32] = [], irregularValue: [Double] = []
        for i in 0..<m {
            for oo in 0..<2 {
                let ee = kappa &+ Int(e[i]) &+ oo
                let id = Int(lat.pattern(ee))
                row[2 &* i &+ oo] = Int32((id < 0 ? noneRow : id) &* slots)
                guard id >= 0 else { continue }
                let sc = powerOfTwo(ee)
                scale[2 &* i &+ oo] = sc
                if id > 0 {
                    for s in lat.irregular[id] {
                        let ti = lat.t[s]
                        guard (oo == 0) == (ti >= f[i]) else { continue }
                        let q = ti / f[i]
                        irregular.append(oo == 0 ? q : 2 * q, UInt32(irregularK.count))
                        irregularK.append(UInt32(i))
                        irregularValue.append(lat.above[id &* slots &+ s] * sc)
                    }
                }
            }
        }
        let n = entries.count
        let irregularCount = irregular.entries.count
        // The odd-slot breakpoints, straight into the output when there is nothing to merge.
        let regular = BinadeEvents(capacity: n)
        var count = 0
        entries.withUnsafeBufferPointer { entries in
        row.withUnsafeBufferPointer { row in
        scale.withUnsafeBufferPointer { scale in
        lat.activeFlags.withUnsafeBufferPointer { active in
        lat.above.withUnsafeBufferPointer { above in
            let key = regular.key, index = regular.index, value = regular.value
            for x in 0..<n {
                let entry = entries[x]
                let w = 2 &* Int(entry.k) &+ Int(entry.o)
                let cell = Int(row[w]) &+ Int(entry.slot)
                key[count] = entry.u * scaleKappa
                index[count] = entry.k
                value[count] = above[cell] * scale[w]
                count &+= Int(active[cell])
            }
        }}}}}
        regular.setCount(count)
        if irregularCount == 0 { return regular }
        if irregularCount > 1 { irregular.sort(binade: 0) }
        // Merge by (key, coordinate).
        let out = BinadeEvents(capacity: count + irregularCount)
        irregular.entries.withUnsafeBufferPointer { irr in
        irregularK.withUnsafeBufferPointer { irrK in
        irregularValue.withUnsafeBufferPointer { irrV in
            var i = 0, j = 0
            while i < count || j < irregularCount {
                let takeIrregular: Bool
                if j == irregularCount { takeIrregular = false } else if i == count { takeIrregular = true } else {
                    let rk = irr[j].key * scaleKappa
                    takeIrregular = rk < regular.key[i] || (rk == regular.key[i] && irrK[Int(irr[j].index)] < regular.index[i])
                }
                if takeIrregular {
                    out.append(irr[j].key * scaleKappa, irrK[Int(irr[j].index)], irrV[Int(irr[j].index)])
                    j &+= 1
                } else {
                    out.append(regular.key[i], regular.index[i], regular.value[i])
                    i &+= 1
                }
            }
        }}}
        return out
    }
}

/// The slot orders of one problem's two sides, shared between the attempt on F_p and the sweep on the bounded
/// formats (the same magnitudes and precisions). Used from one thread, before any parallel region.
final class SlotOrderCache: @unchecked Sendable {
    private var x: SlotOrder?? = nil
    private var y: SlotOrder?? = nil

    /// The order of the x magnitudes `rho` on `lattice` (built on first use).
    func x(_ lattice: BoundaryLattice, _ rho: [Double]) -> SlotOrder? { Self.get(&x, lattice, rho) }
    /// The order of the y magnitudes `sigma` on `lattice` (built on first use).
    func y(_ lattice: BoundaryLattice, _ sigma: [Double]) -> SlotOrder? { Self.get(&y, lattice, sigma) }

    private static func get(_ slot: inout SlotOrder??, _ lattice: BoundaryLattice, _ v: [Double]) -> SlotOrder? {
        if let cached = slot, cached?.lattice.p ?? lattice.p == lattice.p { return cached?.with(lattice) }
        let built = SlotOrder(lattice: lattice, magnitudes: v)
        slot = .some(built)
        return built
    }
}

extension BoundaryLattice {
    /// Lattices already built, by format (building one walks every boundary of the format: a few thousand for
    /// bfloat16, so it is done once per format rather than once per problem).
    private static let cache = Mutex<[FloatFormat: BoundaryLattice?]>([:])

    /// The lattice of `grid` (built once per format), or `nil` when the grid is not a float format of precision
    /// at most 11.
    static func of(_ grid: some NumberGrid) -> BoundaryLattice? {
        guard let format = grid as? FloatFormat else { return nil }
        if let hit = cache.withLock({ $0[format] }) { return hit }
        let built = BoundaryLattice(format)
        cache.withLock { $0[format] = .some(built) }
        return built
    }
}

import Synchronization
