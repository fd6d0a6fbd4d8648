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
    /// branch-free scan of ``SlotOrder/plan(binade:scratch:)`` adds these flags to its write position.
    let activeFlags: [UInt8]
    /// Per pattern, its active slots that are not odd (the irregular slots), in increasing order.
    let irregular: [[Int]]
    /// The format's smallest normal value (0 for F_p), largest finite value (+∞ for F_p), least positive value
    /// and whether it has subnormals.
    let smallestNormal: Double
    let maxFinite: Double
    let smallestPositive: Double
    let hasSubnormals: Bool

    /// Builds the lattice of a float grid, or fails if the grid is not one (or is too fine to be worth it).
    init?(_ grid: some NumberGrid) {
        guard let format = grid as? FloatFormat, format.precision >= 1, format.precision <= 11 else { return nil }
        let p = format.precision
        self.p = p
        smallestNormal = format.smallestNormal
        maxFinite = format.maxFinite
        smallestPositive = format.smallestPositive
        hasSubnormals = format.hasSubnormals
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
    /// low 53 − p bits of the binary64 pattern, rounding up only beyond the half); below it, subnormals are the
    /// multiples of the least value v (z/v is exact, and ties go down: ⌈z/v − 1/2⌉·v), and without subnormals the
    /// values are 0 and 2^emin (ties, at 2^(emin−1), go to 0); elsewhere the generic way.
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
        if z >= 0 && smallestNormal > 0 && smallestPositive >= Double.leastNormalMagnitude * 0x1p60 {
            if !hasSubnormals { return z > smallestNormal / 2 ? smallestNormal : 0 }
            let q = z / smallestPositive
            return (q - 0.5).rounded(.up) * smallestPositive + 0   // + 0: no negative zero
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
/// coordinate, and packed: the slot (bits 0–10), o (bit 11: whether the boundary lies in the next binade of
/// magnitudes) and the coordinate's exponent group (bits 12–31), so that `packed >> 11` indexes the per-binade
/// tables of (exponent group, o).
struct SlotEntry {
    var u: Double
    var k: UInt32
    var packed: UInt32
}

/// The magnitudes of one side of a problem (ρ = |a/c| or σ = |b/d|, non-zero) split as 2^e·f, and the order of
/// all their odd-slot breakpoints by (u, coordinate) (see ``BoundaryLattice``), computed once per problem. The
/// order depends only on the magnitudes and the precision, so one order serves a bounded format and the F_p of
/// the same precision (``with(_:)``).
///
/// Whether a pair is a breakpoint in a binade κ, and the value reached, depend on the pattern of the magnitude
/// binade κ + e_k + o only, so per binade they are tabulated by (exponent group e_k − e_min, o): O(number of
/// distinct exponents) work, then one branch-free pass over the pairs.
///
/// Complexity: building O(m·2^(p−1)) plus one bucket sort of that many keys; each binade's breakpoints then cost
/// one pass over the m·2^(p−1) pairs plus O(s log s) for its s irregular (subnormal) breakpoints.
struct SlotOrder: Sendable {
    private(set) var lattice: BoundaryLattice
    /// Exponent and significand of each magnitude.
    let e: [Int32]
    let f: [Double]
    /// The least exponent, and the coordinates of each exponent group (e − eMin), in increasing order.
    let eMin: Int
    let groups: [[UInt32]]
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
        let lo = Int(e.min()!), hi = Int(e.max()!)
        self.e = e; self.f = f; eMin = lo
        var groups = [[UInt32]](repeating: [], count: hi - lo + 1)
        for i in 0..<magnitudes.count { groups[Int(e[i]) - lo].append(UInt32(i)) }
        self.groups = groups
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
        sorter.sort(binade: 0, perBucket: 2)
        entries = sorter.entries.map { entry in
            let i = Int(entry.index) / half, j = Int(entry.index) % half
            let o: UInt32 = t[2 * j + 1] >= f[i] ? 0 : 1
            let group = UInt32(Int(e[i]) - lo)
            return SlotEntry(u: entry.key, k: UInt32(i), packed: UInt32(2 * j + 1) | o << 11 | group << 12)
        }
    }

    /// The same order on another lattice of the same precision (F_p instead of the bounded format, say).
    func with(_ other: BoundaryLattice) -> SlotOrder {
        precondition(other.p == lattice.p, "slot orders are shared only between grids of one precision")
        var s = self
        s.lattice = other
        return s
    }

    /// The breakpoints of the binade [2^κ, 2^(κ+1)) of the scale, in two sorted parts.
    ///
    /// The scan of the odd slots is branch-free: every pair is written to the output and the write position
    /// advances by the pair's activity flag (a group with no boundary in that binade points to an all-inactive
    /// row). `scratch` (single-threaded callers) lends its buffers.
    func plan(binade kappa: Int, scratch: PlanScratch? = nil) -> BinadePlan {
        let lat = lattice
        let slots = lat.slots
        let scaleKappa = powerOfTwo(kappa)
        let noneRow = lat.activeFlags.count / slots - 1   // the all-inactive pattern
        // Per (exponent group, o): the row of its magnitude binade's pattern and 2^E; irregular breakpoints on
        // the side, bucket-sorted by (u, position) with positions in coordinate order, i.e. by (u, coordinate).
        let gcount = groups.count
        var row = [Int32](repeating: 0, count: 2 * gcount)
        var scale = [Double](repeating: 0, count: 2 * gcount)
        // Local copies of the scratch buffers (class properties would pay an exclusivity check per access).
        var sorter = BreakpointSorter(), irregularK: [UInt32] = [], irregularValue: [Double] = []
        if let scratch {
            swap(&sorter, &scratch.sorter); swap(&irregularK, &scratch.irregularK)
            swap(&irregularValue, &scratch.irregularValue)
            sorter.removeAll(); irregularK.removeAll(keepingCapacity: true)
            irregularValue.removeAll(keepingCapacity: true)
        }
        var irregularPattern = [Int32](repeating: 0, count: 2 * gcount)   // pattern id if it has irregular slots
        var anyIrregular = false
        for g in 0..<gcount {
            for oo in 0..<2 {
                let ee = kappa &+ eMin &+ g &+ oo
                let id = Int(lat.pattern(ee))
                row[2 &* g &+ oo] = Int32((id < 0 ? noneRow : id) &* slots)
                guard id >= 0 else { continue }
                scale[2 &* g &+ oo] = powerOfTwo(ee)
                if id > 0 && !lat.irregular[id].isEmpty && !groups[g].isEmpty {
                    irregularPattern[2 &* g &+ oo] = Int32(id)
                    anyIrregular = true
                }
            }
        }
        if anyIrregular {
            // In coordinate order (ties in u are then ordered by coordinate by the stable position index).
            for i in 0..<e.count {
                let g = Int(e[i]) &- eMin
                for oo in 0..<2 {
                    let id = Int(irregularPattern[2 &* g &+ oo])
                    guard id > 0 else { continue }
                    let fi = f[i], sc = scale[2 &* g &+ oo]
                    for s in lat.irregular[id] {
                        let ti = lat.t[s]
                        guard (oo == 0) == (ti >= fi) else { continue }
                        let q = ti / fi
                        sorter.append(oo == 0 ? q : 2 * q, UInt32(irregularK.count))
                        irregularK.append(UInt32(i))
                        irregularValue.append(lat.above[id &* slots &+ s] * sc)
                    }
                }
            }
        }
        let n = entries.count
        // The odd-slot breakpoints, filtered without branches.
        let regular = scratch?.regular.flatMap { $0.capacity >= n ? $0 : nil } ?? BinadeEvents(capacity: n)
        scratch?.regular = regular
        var count = 0
        entries.withUnsafeBufferPointer { entries in
        row.withUnsafeBufferPointer { row in
        scale.withUnsafeBufferPointer { scale in
        lat.activeFlags.withUnsafeBufferPointer { active in
        lat.above.withUnsafeBufferPointer { above in
            let key = regular.key, index = regular.index, value = regular.value
            for x in 0..<n {
                let entry = entries[x]
                let w = Int(entry.packed >> 11)
                let cell = Int(row[w]) &+ Int(entry.packed & 0x7FF)
                key[count] = entry.u * scaleKappa
                index[count] = entry.k
                value[count] = above[cell] * scale[w]
                count &+= Int(active[cell])
            }
        }}}}}
        regular.setCount(count)
        // The irregular ones, sorted, each with the number of regular breakpoints that precede it by
        // (key, coordinate) (a galloping search from the previous position: they come in increasing order).
        let r = sorter.entries.count
        if r > 1 { sorter.sort(binade: 0) }
        var iKey = [Double](repeating: 0, count: r), iIndex = [UInt32](repeating: 0, count: r)
        var iValue = [Double](repeating: 0, count: r), insert = [Int](repeating: 0, count: r)
        var lo = 0
        let rk = regular.key, ri = regular.index
        for t in 0..<r {
            let en = sorter.entries[t]
            let k = en.key * scaleKappa, ci = irregularK[Int(en.index)]
            iKey[t] = k; iIndex[t] = ci; iValue[t] = irregularValue[Int(en.index)]
            @inline(__always) func before(_ x: Int) -> Bool { rk[x] < k || (rk[x] == k && ri[x] < ci) }
            var step = 1, hi = lo
            while hi < count && before(hi) { lo = hi + 1; hi += step; step <<= 1 }
            hi = Swift.min(hi, count)
            while lo < hi {
                let mid = (lo + hi) >> 1
                if before(mid) { lo = mid + 1 } else { hi = mid }
            }
            insert[t] = lo
        }
        if let scratch {
            swap(&sorter, &scratch.sorter); swap(&irregularK, &scratch.irregularK)
            swap(&irregularValue, &scratch.irregularValue)
        }
        return BinadePlan(regular: regular, irregularKey: iKey, irregularIndex: iIndex, irregularValue: iValue,
                          insertAt: insert)
    }

    /// The sorted breakpoints of the binade [2^κ, 2^(κ+1)) of the scale, in one buffer of its own.
    func events(binade kappa: Int) -> BinadeEvents {
        let p = plan(binade: kappa)
        let r = p.irregularKey.count
        if r == 0 { return p.regular }
        let total = p.regular.count + r
        let out = BinadeEvents(capacity: total)
        var from = 0, to = 0
        for t in 0...r {
            let end = t < r ? p.insertAt[t] : p.regular.count
            let chunk = end - from
            if chunk > 0 {
                (out.key + to).update(from: p.regular.key + from, count: chunk)
                (out.index + to).update(from: p.regular.index + from, count: chunk)
                (out.value + to).update(from: p.regular.value + from, count: chunk)
                to += chunk; from = end
            }
            if t < r {
                out.key[to] = p.irregularKey[t]; out.index[to] = p.irregularIndex[t]; out.value[to] = p.irregularValue[t]
                to += 1
            }
        }
        out.setCount(total)
        return out
    }
}

/// Buffers that ``SlotOrder/plan(binade:scratch:)`` reuses from one binade to the next (one thread only).
final class PlanScratch: @unchecked Sendable {
    var regular: BinadeEvents?
    var sorter = BreakpointSorter()
    var irregularK: [UInt32] = []
    var irregularValue: [Double] = []
}

/// The breakpoints of one binade in two sorted parts: the odd-slot ones and the few irregular ones, with the
/// position in the first part before which each irregular one goes.
struct BinadePlan {
    let regular: BinadeEvents
    let irregularKey: [Double]
    let irregularIndex: [UInt32]
    let irregularValue: [Double]
    let insertAt: [Int]
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

/// The permutation that sorts positive finite magnitudes ascending (ties by index), without comparisons
/// between binades: coordinates are grouped by exponent, and each group is bucket-sorted on its mantissa.
///
/// Complexity: O(m + number of distinct exponents) expected.
func ascendingOrder(_ v: [Double]) -> [Int] {
    guard let lo = v.lazy.map({ Int($0.exponent) }).min(), let hi = v.lazy.map({ Int($0.exponent) }).max() else { return [] }
    guard hi - lo < 4096 else { return v.indices.sorted { (v[$0], $0) < (v[$1], $1) } }
    var groups = [[UInt32]](repeating: [], count: hi - lo + 1)
    for (i, x) in v.enumerated() { groups[Int(x.exponent) - lo].append(UInt32(i)) }
    var out: [Int] = []
    out.reserveCapacity(v.count)
    var sorter = BreakpointSorter()
    for (g, members) in groups.enumerated() where !members.isEmpty {
        if members.count == 1 { out.append(Int(members[0])); continue }
        sorter.removeAll()
        for i in members { sorter.append(v[Int(i)], i) }
        sorter.sort(binade: lo + g, perBucket: 2)
        for e in sorter.entries { out.append(Int(e.index)) }
    }
    return out
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

extension BinadePlan {
    /// The number of breakpoints.
    var count: Int { regular.count + irregularKey.count }

    /// Calls `body(key, coordinate, value)` for every breakpoint in sorted order, without building one merged
    /// buffer.
    @inline(__always)
    func forEachEvent(_ body: (Double, UInt32, Double) -> Void) {
        let r = irregularKey.count
        let key = regular.key, index = regular.index, value = regular.value
        var from = 0
        for t in 0...r {
            let end = t < r ? insertAt[t] : regular.count
            while from < end { body(key[from], index[from], value[from]); from &+= 1 }
            if t < r { body(irregularKey[t], irregularIndex[t], irregularValue[t]) }
        }
    }
}
