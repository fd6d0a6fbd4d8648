/// The CRC-32 checksum used by ZIP (IEEE 802.3 polynomial, reflected, initial value and final XOR 0xFFFFFFFF).
public enum CRC32 {
    /// The byte-wise lookup table for polynomial 0xEDB88320.
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `bytes[range]` (the whole array by default).
    public static func checksum(_ bytes: [UInt8], range: Range<Int>? = nil) -> UInt32 {
        let r = range ?? 0..<bytes.count
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            bytes.withUnsafeBufferPointer { b in
                for i in r { c = t[Int((c ^ UInt32(b[i])) & 0xFF)] ^ (c >> 8) }
            }
        }
        return c ^ 0xFFFF_FFFF
    }
}
