import Foundation

extension Array where Element == UInt8 {
    /// The little-endian unsigned integer of `width` bytes at `offset`, or `nil` if it runs past the end.
    func littleEndian(at offset: Int, width: Int) -> UInt64? {
        guard offset >= 0, width >= 0, offset <= count - width else { return nil }
        var v: UInt64 = 0
        for k in 0..<width { v |= UInt64(self[offset + k]) << UInt64(8 * k) }
        return v
    }

    /// Appends `value` as a little-endian integer of `width` bytes.
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T, width: Int) {
        for k in 0..<width { append(UInt8(truncatingIfNeeded: value >> (8 * k))) }
    }
}

/// Reading whole files into memory with errors that name the file.
enum FileBytes {
    /// The contents of the file at `path`.
    ///
    /// - Throws: ``FileFormatError/io(file:reason:)`` if it cannot be read.
    static func read(_ path: String) throws -> [UInt8] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw FileFormatError.io(file: path, reason: "no such file")
        }
        guard !isDir.boolValue else { throw FileFormatError.io(file: path, reason: "is a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileFormatError.io(file: path, reason: "cannot be read (permission denied?)")
        }
        return [UInt8](data)
    }
}
