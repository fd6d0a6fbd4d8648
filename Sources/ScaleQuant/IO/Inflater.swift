/// A small DEFLATE (RFC 1951) decoder, enough to read members that `numpy.savez_compressed` writes.
enum Inflater {
    /// Why a deflate stream could not be decoded.
    struct InflateError: Error {
        /// What went wrong.
        let message: String
    }

    private static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                            67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
                                             5, 5, 5, 5, 0]
    private static let distBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513,
                                          769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
                                           11, 11, 12, 12, 13, 13]
    private static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Decompresses a raw deflate stream, refusing to produce more than `expectedSize` bytes.
    static func inflate(_ input: [UInt8], expectedSize: Int) throws(InflateError) -> [UInt8] {
        var s = BitStream(bytes: input)
        var out: [UInt8] = []
        out.reserveCapacity(min(expectedSize, input.count * 1032 + 258))  // deflate expands at most ~1032:1
        var last = false
        while !last {
            last = try s.bits(1) == 1
            switch try s.bits(2) {
            case 0:
                s.alignToByte()
                let len = try s.bits(16), nlen = try s.bits(16)
                guard len == ~nlen & 0xFFFF else { throw InflateError(message: "stored block length check failed") }
                guard out.count + len <= expectedSize else { throw InflateError(message: "output exceeds its size") }
                for _ in 0..<len { out.append(UInt8(try s.bits(8))) }
            case 1:
                try codes(&s, &out, Huffman(lengths: fixedLiteralLengths), Huffman(lengths: [Int](repeating: 5, count: 30)),
                          limit: expectedSize)
            case 2:
                let (lit, dist) = try dynamicTables(&s)
                try codes(&s, &out, lit, dist, limit: expectedSize)
            default:
                throw InflateError(message: "invalid block type 3")
            }
        }
        return out
    }

    private static let fixedLiteralLengths: [Int] =
        [Int](repeating: 8, count: 144) + [Int](repeating: 9, count: 112) + [Int](repeating: 7, count: 24)
        + [Int](repeating: 8, count: 8)

    /// Reads the code-length code and the literal/length and distance tables of a dynamic block.
    private static func dynamicTables(_ s: inout BitStream) throws(InflateError) -> (Huffman, Huffman) {
        let nlen = try s.bits(5) + 257, ndist = try s.bits(5) + 1, ncode = try s.bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw InflateError(message: "too many length or distance codes") }
        var clens = [Int](repeating: 0, count: 19)
        for i in 0..<ncode { clens[codeLengthOrder[i]] = try s.bits(3) }
        let clcode = try Huffman(lengths: clens)
        var lengths: [Int] = []
        while lengths.count < nlen + ndist {
            let sym = try clcode.decode(&s)
            switch sym {
            case 0..<16: lengths.append(sym)
            case 16:
                guard let prev = lengths.last else { throw InflateError(message: "repeat with no previous length") }
                lengths += [Int](repeating: prev, count: 3 + (try s.bits(2)))
            case 17: lengths += [Int](repeating: 0, count: 3 + (try s.bits(3)))
            default: lengths += [Int](repeating: 0, count: 11 + (try s.bits(7)))
            }
        }
        guard lengths.count == nlen + ndist else { throw InflateError(message: "code lengths overrun") }
        guard lengths[256] != 0 else { throw InflateError(message: "no end-of-block code") }
        return (try Huffman(lengths: Array(lengths[0..<nlen])), try Huffman(lengths: Array(lengths[nlen...])))
    }

    /// Decodes literal/length and distance codes until end of block.
    private static func codes(_ s: inout BitStream, _ out: inout [UInt8], _ lit: Huffman, _ dist: Huffman,
                              limit: Int) throws(InflateError) {
        while true {
            let sym = try lit.decode(&s)
            if sym < 256 {
                guard out.count < limit else { throw InflateError(message: "output exceeds its size") }
                out.append(UInt8(sym))
            } else if sym == 256 {
                return
            } else {
                let li = sym - 257
                guard li < 29 else { throw InflateError(message: "invalid length code") }
                let length = lengthBase[li] + (try s.bits(lengthExtra[li]))
                let di = try dist.decode(&s)
                guard di < 30 else { throw InflateError(message: "invalid distance code") }
                let distance = distBase[di] + (try s.bits(distExtra[di]))
                guard distance <= out.count else { throw InflateError(message: "distance too far back") }
                guard out.count + length <= limit else { throw InflateError(message: "output exceeds its size") }
                let start = out.count - distance
                for k in 0..<length { out.append(out[start + k]) }
            }
        }
    }

    /// LSB-first bit reader over the input bytes.
    private struct BitStream {
        let bytes: [UInt8]
        var pos = 0
        var buffer: UInt64 = 0
        var count = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func bits(_ n: Int) throws(InflateError) -> Int {
            while count < n {
                guard pos < bytes.count else { throw InflateError(message: "unexpected end of compressed data") }
                buffer |= UInt64(bytes[pos]) << UInt64(count)
                pos += 1
                count += 8
            }
            let v = Int(buffer & ((1 << UInt64(n)) - 1))
            buffer >>= UInt64(n)
            count -= n
            return v
        }

        mutating func alignToByte() {
            buffer >>= UInt64(count % 8)
            count -= count % 8
        }
    }

    /// A canonical Huffman code, decoded one bit at a time.
    private struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) throws(InflateError) {
            for l in lengths { counts[l] += 1 }
            var left = 1
            for len in 1..<16 {
                left = left * 2 - counts[len]
                guard left >= 0 else { throw InflateError(message: "over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (sym, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = sym
                offsets[l] += 1
            }
        }

        func decode(_ s: inout BitStream) throws(InflateError) -> Int {
            var code = 0, first = 0, index = 0
            for len in 1..<16 {
                code |= try s.bits(1)
                let count = counts[len]
                if code - count < first { return symbols[index + (code - first)] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw InflateError(message: "invalid Huffman code")
        }
    }
}
