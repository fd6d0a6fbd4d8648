/// A minimal ZIP archive reader and writer: members stored (method 0) or, for reading, deflated (method 8);
/// CRC-32 checked; ZIP64 size fields in member headers understood, ZIP64 archives (over 65535 members or 4 GiB)
/// rejected.
public enum ZipArchive {
    /// One member of an archive.
    public struct Member: Sendable, Equatable {
        /// The member's path inside the archive.
        public var name: String
        /// The uncompressed contents.
        public var data: [UInt8]

        /// Creates a member.
        public init(name: String, data: [UInt8]) {
            self.name = name
            self.data = data
        }
    }

    /// Reads every member of the archive in `bytes`, in central-directory order; `file` names it in errors.
    ///
    /// - Throws: ``FileFormatError`` for truncation, unsupported features, or a CRC mismatch.
    public static func read(_ bytes: [UInt8], file: String) throws -> [Member] {
        func bad(_ reason: String) -> FileFormatError { .malformed(file: file, reason: reason) }
        let eocd = try findEndRecord(bytes, file: file)
        guard let total = bytes.littleEndian(at: eocd + 10, width: 2),
              let cdSize = bytes.littleEndian(at: eocd + 12, width: 4),
              let cdOffset = bytes.littleEndian(at: eocd + 16, width: 4),
              let disk = bytes.littleEndian(at: eocd + 4, width: 2) else {
            throw bad("truncated end-of-central-directory record")
        }
        if total == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            throw FileFormatError.unsupported(file: file, reason: "ZIP64 archives (more than 65535 members or over 4 GiB)")
        }
        guard disk == 0 else { throw FileFormatError.unsupported(file: file, reason: "multi-disk ZIP archives") }
        guard cdOffset + cdSize <= UInt64(eocd) else {
            throw bad("truncated ZIP archive: the central directory lies outside the file")
        }
        var members: [Member] = []
        var p = Int(cdOffset)
        for index in 0..<Int(total) {
            let entry = try CentralEntry(bytes, at: p, file: file, index: index)
            p = entry.next
            members.append(Member(name: entry.name, data: try memberData(bytes, entry: entry, file: file)))
        }
        return members
    }

    /// The offset of the end-of-central-directory record, searching back over a possible archive comment.
    private static func findEndRecord(_ bytes: [UInt8], file: String) throws -> Int {
        guard bytes.count >= 22 else {
            throw FileFormatError.malformed(file: file, reason: "truncated ZIP archive: \(bytes.count) bytes is too "
                                            + "short for an end-of-central-directory record")
        }
        var i = bytes.count - 22
        let stop = max(0, bytes.count - 22 - 0xFFFF)
        while i >= stop {
            if bytes.littleEndian(at: i, width: 4) == 0x0605_4B50 { return i }
            i -= 1
        }
        if bytes.littleEndian(at: 0, width: 4) == 0x0403_4B50 {
            throw FileFormatError.malformed(file: file, reason: "truncated ZIP archive: no end-of-central-directory "
                                            + "record")
        }
        throw FileFormatError.malformed(file: file, reason: "not a ZIP archive (no end-of-central-directory record)")
    }

    /// The uncompressed, CRC-checked data of one member.
    private static func memberData(_ bytes: [UInt8], entry: CentralEntry, file: String) throws -> [UInt8] {
        func bad(_ reason: String) -> FileFormatError { .malformed(file: file, reason: "member '\(entry.name)': \(reason)") }
        let lh = Int(entry.localOffset)
        guard bytes.littleEndian(at: lh, width: 4) == 0x0403_4B50,
              let nameLength = bytes.littleEndian(at: lh + 26, width: 2),
              let extraLength = bytes.littleEndian(at: lh + 28, width: 2) else {
            throw bad("local header missing or truncated")
        }
        let start = lh + 30 + Int(nameLength) + Int(extraLength)
        guard entry.compressedSize <= UInt64(max(0, bytes.count - start)) else {
            throw bad("data is truncated (needs \(entry.compressedSize) bytes)")
        }
        let end = start + Int(entry.compressedSize)
        let data: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.size else { throw bad("stored member has differing sizes") }
            data = Array(bytes[start..<end])
        case 8:
            do {
                data = try Inflater.inflate(Array(bytes[start..<end]), expectedSize: Int(entry.size))
            } catch {
                throw bad("corrupt deflate data: \(error.message)")
            }
        default:
            throw FileFormatError.unsupported(file: file, reason: "member '\(entry.name)' uses compression method "
                                              + "\(entry.method) (only stored and deflate are supported)")
        }
        guard data.count == entry.size else { throw bad("size is \(data.count), the directory says \(entry.size)") }
        let crc = CRC32.checksum(data)
        guard crc == entry.crc else {
            throw bad("CRC-32 mismatch (computed \(hex(crc)), stored \(hex(entry.crc))); the file is corrupt")
        }
        return data
    }

    static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    /// Encodes members as a ZIP archive with every member stored uncompressed.
    ///
    /// - Throws: ``FileFormatError/unsupported(file:reason:)`` if the archive would need ZIP64.
    public static func write(_ members: [Member], file: String) throws -> [UInt8] {
        guard members.count < 0xFFFF else {
            throw FileFormatError.unsupported(file: file, reason: "more than 65534 members would need ZIP64")
        }
        var out: [UInt8] = []
        var central: [UInt8] = []
        for m in members {
            let name = Array(m.name.utf8)
            let offset = out.count
            guard m.data.count < 0xFFFF_FFFF, offset < 0xFFFF_FFFF, name.count <= 0xFFFF else {
                throw FileFormatError.unsupported(file: file, reason: "member '\(m.name)' would need ZIP64")
            }
            let crc = CRC32.checksum(m.data)
            let utf8Flag: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800
            // Shared fields: version needed, flags, method, time, date, crc, sizes, name length, extra length.
            var common: [UInt8] = []
            common.appendLittleEndian(UInt16(20), width: 2)
            common.appendLittleEndian(utf8Flag, width: 2)
            common.appendLittleEndian(UInt16(0), width: 2)
            common.appendLittleEndian(UInt16(0), width: 2)  // 00:00:00
            common.appendLittleEndian(UInt16(0x21), width: 2)  // 1980-01-01
            common.appendLittleEndian(crc, width: 4)
            common.appendLittleEndian(UInt32(m.data.count), width: 4)
            common.appendLittleEndian(UInt32(m.data.count), width: 4)
            common.appendLittleEndian(UInt16(name.count), width: 2)
            common.appendLittleEndian(UInt16(0), width: 2)
            out.appendLittleEndian(UInt32(0x0403_4B50), width: 4)
            out += common + name + m.data
            central.appendLittleEndian(UInt32(0x0201_4B50), width: 4)
            central.appendLittleEndian(UInt16(20), width: 2)  // made by: MS-DOS, spec 2.0
            central += common
            central += [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  // comment length, disk, internal and external attributes
            central.appendLittleEndian(UInt32(offset), width: 4)
            central += name
        }
        guard out.count < 0xFFFF_FFFF else {
            throw FileFormatError.unsupported(file: file, reason: "archive over 4 GiB would need ZIP64")
        }
        let cdOffset = out.count
        out += central
        out.appendLittleEndian(UInt32(0x0605_4B50), width: 4)
        out += [0, 0, 0, 0]
        out.appendLittleEndian(UInt16(members.count), width: 2)
        out.appendLittleEndian(UInt16(members.count), width: 2)
        out.appendLittleEndian(UInt32(central.count), width: 4)
        out.appendLittleEndian(UInt32(cdOffset), width: 4)
        out += [0, 0]
        return out
    }
}
