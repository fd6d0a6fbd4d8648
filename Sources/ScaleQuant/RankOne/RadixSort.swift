/// Sorts breakpoints: positive `Double` keys (compared through their bit patterns, which order positive doubles
/// exactly) carrying a `UInt32` coordinate index and a `Double` value (the coordinate's grid value after the
/// breakpoint), by a least-significant-digit radix sort with 11-bit digits.
///
/// The rank-one sweep sorts millions of breakpoints per octave; an LSD radix sort is O(n) and, because every key
/// of one octave shares its exponent bits, the passes over constant digits are skipped.
///
/// Complexity: O(n) time per pass, at most 6 passes; O(n) extra memory. Stable.
@usableFromInline
struct BreakpointSorter {
    @usableFromInline var keys: [UInt64] = []
    @usableFromInline var payload: [UInt32] = []
    @usableFromInline var values: [Double] = []
    private var keys2: [UInt64] = []
    private var payload2: [UInt32] = []
    private var values2: [Double] = []

    @usableFromInline init() {}

    /// Removes all breakpoints, keeping capacity.
    @usableFromInline mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        payload.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    /// Appends one breakpoint.
    @inlinable mutating func append(_ key: Double, _ index: UInt32, _ value: Double) {
        keys.append(key.bitPattern)
        payload.append(index)
        values.append(value)
    }

    /// Sorts keys ascending (stable for equal keys).
    @usableFromInline mutating func sort() {
        let n = keys.count
        if n < 2 { return }
        if n <= 64 {
            insertionSort()
            return
        }
        let digitBits = 11
        let radix = 1 << digitBits
        let passes = 6
        var counts = [Int](repeating: 0, count: radix * passes)
        keys.withUnsafeBufferPointer { k in
            counts.withUnsafeMutableBufferPointer { c in
                for i in 0..<n {
                    var v = k[i]
                    for p in 0..<passes {
                        c[p &* radix &+ Int(v & UInt64(radix - 1))] &+= 1
                        v >>= UInt64(digitBits)
                    }
                }
            }
        }
        if keys2.count != n {
            keys2 = [UInt64](repeating: 0, count: n)
            payload2 = [UInt32](repeating: 0, count: n)
            values2 = [Double](repeating: 0, count: n)
        }
        for p in 0..<passes {
            let base = p * radix
            // Skip a pass whose digit is the same for every key.
            var trivial = false
            for d in 0..<radix where counts[base + d] != 0 {
                trivial = counts[base + d] == n
                break
            }
            if trivial { continue }
            var offsets = [Int](repeating: 0, count: radix)
            var sum = 0
            for d in 0..<radix { offsets[d] = sum; sum += counts[base + d] }
            let shift = UInt64(p * digitBits)
            keys.withUnsafeBufferPointer { ks in
                payload.withUnsafeBufferPointer { ps in
                    values.withUnsafeBufferPointer { vs in
                        keys2.withUnsafeMutableBufferPointer { kd in
                            payload2.withUnsafeMutableBufferPointer { pd in
                                values2.withUnsafeMutableBufferPointer { vd in
                                    offsets.withUnsafeMutableBufferPointer { off in
                                        for i in 0..<n {
                                            let key = ks[i]
                                            let d = Int((key >> shift) & UInt64(radix - 1))
                                            let dst = off[d]
                                            off[d] = dst &+ 1
                                            kd[dst] = key
                                            pd[dst] = ps[i]
                                            vd[dst] = vs[i]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &keys2)
            swap(&payload, &payload2)
            swap(&values, &values2)
        }
    }

    private mutating func insertionSort() {
        for i in 1..<keys.count {
            let k = keys[i], p = payload[i], v = values[i]
            var j = i
            while j > 0 && keys[j - 1] > k {
                keys[j] = keys[j - 1]
                payload[j] = payload[j - 1]
                values[j] = values[j - 1]
                j -= 1
            }
            keys[j] = k
            payload[j] = p
            values[j] = v
        }
    }
}
