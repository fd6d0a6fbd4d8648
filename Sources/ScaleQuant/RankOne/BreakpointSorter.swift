/// One breakpoint of a sweep: at scale `key`, coordinate `index` moves up by one grid step.
@usableFromInline
struct Breakpoint {
    @usableFromInline var key: Double
    @usableFromInline var index: UInt32
    @inlinable init(key: Double, index: UInt32) { self.key = key; self.index = index }
}

/// Collects and sorts the breakpoints of one binade [2^o, 2^(o+1)] of the scale.
///
/// The rank-one sweep sorts millions of breakpoints per binade. Keys of one binade differ only in their mantissa,
/// so one counting pass on the leading mantissa bits (about n/2 buckets) places every key in a bucket of a few
/// elements, finished by insertion sort (or a comparison sort for the rare large bucket of equal keys). That is
/// two sequential passes and one scatter of 16-byte records, against several scatters for an LSD radix sort.
///
/// Complexity: O(n) expected for keys spread over the binade, O(n log n) worst case. Memory: O(n).
@usableFromInline
struct BreakpointSorter {
    /// The breakpoints; sorted by key after ``sort(binade:perBucket:)``.
    @usableFromInline var entries: [Breakpoint] = []
    private var scratch: [Breakpoint] = []
    private var counts: [Int] = []

    @usableFromInline init() {}

    /// Removes all breakpoints, keeping capacity.
    @usableFromInline mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    /// Appends one breakpoint.
    @inlinable mutating func append(_ key: Double, _ index: UInt32) {
        entries.append(Breakpoint(key: key, index: index))
    }

    /// Sorts by key ascending, given that all keys lie in [2^binade, 2^(binade+1)] (rounding of β/ρ can land
    /// exactly on the upper end). `perBucket`: the average bucket size aimed at (fewer buckets cost less to
    /// clear, smaller buckets less to finish).
    @usableFromInline mutating func sort(binade: Int, perBucket: Int = 8) {
        let n = entries.count
        if n < 2 { return }
        var bits = 1
        while (1 << bits) < n / perBucket && bits < 22 { bits += 1 }
        let buckets = 1 << bits
        let shift = UInt64(52 - bits)
        let upper = Double(sign: .plus, exponent: binade + 1, significand: 1)
        let lower = Double(sign: .plus, exponent: binade, significand: 1)
        @inline(__always) func bucket(_ k: Double) -> Int {
            if k >= upper { return buckets &- 1 }
            if k < lower { return 0 }
            return Int((k.bitPattern & 0x000F_FFFF_FFFF_FFFF) >> shift)
        }
        if counts.count < buckets + 1 { counts = [Int](repeating: 0, count: buckets + 1) }
        if scratch.count < n { scratch = [Breakpoint](repeating: Breakpoint(key: 0, index: 0), count: n) }
        entries.withUnsafeBufferPointer { src in
            scratch.withUnsafeMutableBufferPointer { dst in
                counts.withUnsafeMutableBufferPointer { c in
                    for b in 0...buckets { c[b] = 0 }
                    for i in 0..<n { c[bucket(src[i].key) &+ 1] &+= 1 }
                    for b in 0..<buckets { c[b &+ 1] &+= c[b] }
                    // Scatter (stable): c[b] walks from the start of bucket b to its end, the start of b + 1.
                    for i in 0..<n {
                        let e = src[i]
                        let b = bucket(e.key)
                        dst[c[b]] = e
                        c[b] &+= 1
                    }
                    var lo = 0
                    for b in 0..<buckets {
                        let hi = c[b]
                        if hi &- lo > 1 { Self.sortRange(dst, lo, hi) }
                        lo = hi
                    }
                }
            }
        }
        swap(&entries, &scratch)
        if entries.count != n { entries.removeLast(entries.count - n) }
    }

    @inline(__always)
    private static func precedes(_ x: Breakpoint, _ y: Breakpoint) -> Bool {
        if x.key != y.key { return x.key < y.key }
        return x.index < y.index
    }

    /// Sorts `lo..<hi` by key: insertion sort for short ranges (stable), otherwise a comparison sort (such ranges
    /// hold mostly equal keys, from coordinates of equal magnitude; ties are ordered by index).
    private static func sortRange(_ a: UnsafeMutableBufferPointer<Breakpoint>, _ lo: Int, _ hi: Int) {
        if hi &- lo <= 32 {
            var i = lo &+ 1
            while i < hi {
                let e = a[i]
                var j = i
                while j > lo && a[j &- 1].key > e.key {
                    a[j] = a[j &- 1]
                    j &-= 1
                }
                a[j] = e
                i &+= 1
            }
            return
        }
        var range = UnsafeMutableBufferPointer(rebasing: a[lo..<hi])
        range.sort(by: Self.precedes)
    }
}
