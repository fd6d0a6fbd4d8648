// Digests of quantized values for golden files: exact (bit patterns), short, and the same on every machine.

/// The FNV-1a 64-bit hash of the IEEE bit patterns of `values`, continuing from `hash`.
func fnv1a(_ values: [Double], _ hash: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var h = hash
    for v in values {
        var bits = v.bitPattern
        for _ in 0..<8 {
            h ^= bits & 0xff
            h = h &* 0x0000_0100_0000_01b3
            bits >>= 8
        }
    }
    return h
}
