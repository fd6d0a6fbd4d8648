/// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0; C order; little-endian).
public enum NPY {
    /// The six magic bytes `\x93NUMPY` every `.npy` file starts with.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Reads the `.npy` file at `path`.
    ///
    /// - Throws: ``FileFormatError`` naming the file and the problem.
    public static func read(_ path: String) throws -> NDArray {
        try decode(try FileBytes.read(path), name: path)
    }

    /// Writes `array` to `path` atomically in NumPy's own layout (byte-identical to `numpy.save`).
    ///
    /// - Parameter inputs: paths the caller read from; the write is refused if `path` is one of them.
    /// - Throws: ``FileFormatError`` if the dtype has no NumPy equivalent, a value is not representable, or the
    ///   file cannot be written.
    public static func write(_ array: NDArray, to path: String, refusingToOverwrite inputs: [String] = []) throws {
        try writeAtomically(try encode(array, name: path), to: path, refusingToOverwrite: inputs)
    }

    /// Decodes `.npy` bytes; `name` is used in error messages.
    ///
    /// - Throws: ``FileFormatError`` naming `name` and the problem.
    public static func decode(_ bytes: [UInt8], name: String = "<npy>") throws -> NDArray {
        func bad(_ reason: String) -> FileFormatError { .malformed(file: name, reason: reason) }
        guard bytes.count >= 8 else {
            throw bad("truncated .npy file: \(bytes.count) bytes is shorter than the 8-byte preamble")
        }
        guard Array(bytes[0..<6]) == magic else { throw bad("not a .npy file (bad magic bytes)") }
        let major = bytes[6], minor = bytes[7]
        let lengthWidth: Int
        switch major {
        case 1: lengthWidth = 2
        case 2, 3: lengthWidth = 4
        default: throw FileFormatError.unsupported(file: name, reason: ".npy format version \(major).\(minor)")
        }
        guard let headerLength = bytes.littleEndian(at: 8, width: lengthWidth) else {
            throw bad("truncated .npy header: the file ends inside the header length field")
        }
        let headerStart = 8 + lengthWidth
        guard headerLength <= UInt64(bytes.count - headerStart) else {
            throw bad("header length \(headerLength) goes beyond the end of the file (\(bytes.count) bytes)")
        }
        let dataStart = headerStart + Int(headerLength)
        let headerBytes = bytes[headerStart..<dataStart]
        guard major == 3 || headerBytes.allSatisfy({ $0 < 0x80 }) else {
            throw bad("header of a version \(major).0 file must be ASCII")
        }
        guard let text = String(validating: headerBytes, as: UTF8.self) else {
            throw bad("header is not valid UTF-8")
        }
        let header = try parseHeader(text, name: name)
        guard let count = NDArray.elementCount(of: header.shape) else {
            throw bad("shape \(header.shape) is invalid or its element count overflows")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: header.dtype.byteSize)
        guard !overflow else { throw bad("shape \(header.shape) is too large: its byte size overflows") }
        let available = bytes.count - dataStart
        guard byteCount <= available else {
            throw bad("data is truncated: shape \(header.shape) of \(header.dtype.rawValue) needs \(byteCount) bytes "
                      + "but only \(available) follow the header")
        }
        let values = header.dtype.decode(bytes, offset: dataStart, count: count)
        return try NDArray(shape: header.shape, values: values, dtype: header.dtype)
    }

    /// Encodes `array` as `.npy` bytes exactly as `numpy.save` lays them out (version 1.0 unless the header needs
    /// 2.0; header padded so the data starts at a multiple of 64 bytes).
    ///
    /// - Throws: ``FileFormatError`` if the dtype has no NumPy equivalent or a value is not representable.
    public static func encode(_ array: NDArray, name: String = "<npy>") throws -> [UInt8] {
        guard let descr = array.dtype.npyDescr else {
            throw FileFormatError.unsupported(file: name, reason: "dtype \(array.dtype.rawValue) cannot be stored in "
                                              + ".npy; convert it or use safetensors")
        }
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // NumPy leaves room for the first axis to grow to 21 digits so headers can be rewritten in place.
        if let first = array.shape.first { dict += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        let textLength = dict.utf8.count + 1  // plus the final newline
        var version: UInt8 = 1
        var prefixLength = 10
        if (prefixLength + textLength + 63) / 64 * 64 - prefixLength > Int(UInt16.max) {
            version = 2
            prefixLength = 12
        }
        let padding = 64 - (prefixLength + textLength) % 64
        let headerLength = textLength + padding
        var out = magic
        out += [version, 0]
        if version == 1 {
            out.appendLittleEndian(UInt16(headerLength), width: 2)
        } else {
            guard let h = UInt32(exactly: headerLength) else {
                throw FileFormatError.unsupported(file: name, reason: "header of \(headerLength) bytes is too long")
            }
            out.appendLittleEndian(h, width: 4)
        }
        out += Array(dict.utf8)
        out += [UInt8](repeating: 0x20, count: padding)
        out.append(0x0A)
        if let problem = array.dtype.encode(array.values, into: &out) {
            throw FileFormatError.notRepresentable(file: name, reason: problem)
        }
        return out
    }
}
