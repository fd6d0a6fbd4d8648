extension ZipArchive {
    /// One parsed central-directory entry.
    struct CentralEntry {
        var name: String
        var method: UInt64
        var crc: UInt32
        var compressedSize: UInt64
        var size: UInt64
        var localOffset: UInt64
        /// The offset of the next entry.
        var next: Int

        /// Parses the entry at `p`, resolving ZIP64 extended fields.
        init(_ bytes: [UInt8], at p: Int, file: String, index: Int) throws {
            func bad(_ reason: String) -> FileFormatError {
                .malformed(file: file, reason: "central directory entry \(index): \(reason)")
            }
            guard bytes.littleEndian(at: p, width: 4) == 0x0201_4B50 else { throw bad("bad signature") }
            guard let flags = bytes.littleEndian(at: p + 8, width: 2),
                  let method = bytes.littleEndian(at: p + 10, width: 2),
                  let crc = bytes.littleEndian(at: p + 16, width: 4),
                  var csize = bytes.littleEndian(at: p + 20, width: 4),
                  var usize = bytes.littleEndian(at: p + 24, width: 4),
                  let nameLength = bytes.littleEndian(at: p + 28, width: 2),
                  let extraLength = bytes.littleEndian(at: p + 30, width: 2),
                  let commentLength = bytes.littleEndian(at: p + 32, width: 2),
                  var offset = bytes.littleEndian(at: p + 42, width: 4) else {
                throw bad("truncated")
            }
            let nameStart = p + 46
            let extraStart = nameStart + Int(nameLength)
            let next = extraStart + Int(extraLength) + Int(commentLength)
            guard next <= bytes.count else { throw bad("truncated") }
            guard let name = String(validating: bytes[nameStart..<extraStart], as: UTF8.self) else {
                throw bad("member name is not valid UTF-8")
            }
            if flags & 1 != 0 {
                throw FileFormatError.unsupported(file: file, reason: "member '\(name)' is encrypted")
            }
            // ZIP64 extended information: the 64-bit values appear in order for each field that is 0xFFFFFFFF.
            if csize == 0xFFFF_FFFF || usize == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
                var q = extraStart
                var found = false
                while q + 4 <= extraStart + Int(extraLength) {
                    guard let id = bytes.littleEndian(at: q, width: 2),
                          let len = bytes.littleEndian(at: q + 2, width: 2) else { break }
                    if id == 1 {
                        var r = q + 4
                        func take() throws -> UInt64 {
                            guard r + 8 <= q + 4 + Int(len), let v = bytes.littleEndian(at: r, width: 8) else {
                                throw bad("truncated ZIP64 extra field")
                            }
                            r += 8
                            return v
                        }
                        if usize == 0xFFFF_FFFF { usize = try take() }
                        if csize == 0xFFFF_FFFF { csize = try take() }
                        if offset == 0xFFFF_FFFF { offset = try take() }
                        found = true
                        break
                    }
                    q += 4 + Int(len)
                }
                guard found else { throw bad("sizes are 0xFFFFFFFF but there is no ZIP64 extra field") }
            }
            guard offset < UInt64(bytes.count), usize < UInt64(Int.max / 2), csize < UInt64(Int.max / 2) else {
                throw bad("member '\(name)' lies outside the file")
            }
            self.name = name
            self.method = method
            self.crc = UInt32(truncatingIfNeeded: crc)
            self.compressedSize = csize
            self.size = usize
            self.localOffset = offset
            self.next = next
        }
    }
}
