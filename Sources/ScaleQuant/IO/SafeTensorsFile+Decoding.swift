import Foundation

extension SafeTensorsFile {
    /// Decodes safetensors bytes, validating the header strictly; `name` is used in error messages.
    ///
    /// - Throws: ``FileFormatError`` naming `name` (and the tensor) and the problem.
    public static func decode(_ bytes: [UInt8], name file: String = "<safetensors>") throws -> SafeTensorsFile {
        func bad(_ reason: String) -> FileFormatError { .malformed(file: file, reason: reason) }
        guard let n = bytes.littleEndian(at: 0, width: 8) else {
            throw bad("truncated: \(bytes.count) bytes is shorter than the 8-byte header length")
        }
        guard n <= UInt64(maxHeaderLength) else {
            throw bad("header length \(n) exceeds the 100 MB limit (corrupt or not a safetensors file)")
        }
        guard n <= UInt64(bytes.count - 8) else {
            throw bad("header length \(n) goes beyond the end of the file (\(bytes.count) bytes); the file is "
                      + "truncated or not a safetensors file")
        }
        let dataStart = 8 + Int(n)
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw bad("header is not valid JSON")
        }
        guard let object = root as? [String: Any] else { throw bad("header JSON is not an object") }
        let bufferSize = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw bad("__metadata__ must be an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw bad("__metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            func badTensor(_ reason: String) -> FileFormatError { bad("tensor '\(name)' \(reason)") }
            guard let info = value as? [String: Any] else { throw badTensor("entry is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw badTensor("has no dtype string") }
            guard let dtype = DType(safetensorsName: dtypeName) else {
                throw FileFormatError.unsupported(file: file, reason: "tensor '\(name)' has unknown or unsupported "
                                                  + "dtype '\(dtypeName)'")
            }
            guard let shape = intArray(info["shape"]) else {
                throw badTensor("shape must be a list of non-negative integers")
            }
            guard let offsets = intArray(info["data_offsets"]), offsets.count == 2, offsets[0] <= offsets[1] else {
                throw badTensor("data_offsets must be [begin, end] with 0 ≤ begin ≤ end")
            }
            let (begin, end) = (offsets[0], offsets[1])
            let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
            guard let count = NDArray.elementCount(of: shape),
                  case let (size, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize), !overflow else {
                throw badTensor("shape \(shapeText) is too large")
            }
            guard end - begin == size else {
                throw badTensor("data_offsets [\(begin), \(end)] cover \(end - begin) bytes but \(dtypeName) "
                                + "\(shapeText) needs \(size) bytes")
            }
            guard end <= bufferSize else {
                throw badTensor("data_offsets [\(begin), \(end)] go beyond the end of the data buffer "
                                + "(\(bufferSize) bytes); the file is truncated or corrupt")
            }
            entries.append((name, dtype, shape, begin, end))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        for (a, b) in zip(entries, entries.dropFirst()) where b.begin < a.end {
            throw bad("tensors '\(a.name)' [\(a.begin), \(a.end)] and '\(b.name)' [\(b.begin), \(b.end)] overlap")
        }
        let tensors = try entries.map { e in
            Tensor(name: e.name, array: try NDArray(shape: e.shape, values: e.dtype.decode(bytes, offset: dataStart
                + e.begin, count: e.shape.reduce(1, *)), dtype: e.dtype))
        }
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// A JSON array of non-negative integers, or `nil` for anything else.
    private static func intArray(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for v in list {
            // JSON booleans and floats also bridge to Int; only integer literals are accepted.
            guard let number = v as? NSNumber, !["c", "B", "d", "f"].contains(String(cString: number.objCType)),
                  let i = v as? Int, i >= 0 else { return nil }
            out.append(i)
        }
        return out
    }
}
