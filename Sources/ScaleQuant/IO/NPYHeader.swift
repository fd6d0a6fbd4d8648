extension NPY {
    /// The fields of a `.npy` header that matter for reading.
    struct Header: Equatable {
        /// The element dtype.
        var dtype: DType
        /// The array shape.
        var shape: [Int]
    }

    /// Parses and validates the header dict text of a `.npy` file.
    static func parseHeader(_ text: String, name: String) throws -> Header {
        func bad(_ reason: String) -> FileFormatError { .malformed(file: name, reason: reason) }
        let literal: PythonLiteral
        do {
            literal = try PythonLiteral.parse(text)
        } catch {
            throw bad("cannot parse the header dict: \(error.message)")
        }
        guard case .dict(let entries) = literal else { throw bad("the header is not a Python dict") }
        var fields: [String: PythonLiteral] = [:]
        for (key, value) in entries {
            guard case .string(let k) = key else { throw bad("header dict keys must be strings") }
            fields[k] = value
        }
        for key in ["descr", "fortran_order", "shape"] where fields[key] == nil {
            throw bad("header dict has no '\(key)' key")
        }
        guard case .string(let descr)? = fields["descr"] else {
            throw FileFormatError.unsupported(file: name, reason: "structured dtypes (descr is not a string)")
        }
        guard case .bool(let fortran)? = fields["fortran_order"] else {
            throw bad("header 'fortran_order' must be True or False")
        }
        guard !fortran else {
            throw FileFormatError.unsupported(file: name, reason: "fortran_order: True (Fortran-ordered arrays are "
                                              + "not supported; save a C-ordered array with numpy.ascontiguousarray)")
        }
        let dims: [PythonLiteral]
        switch fields["shape"] {
        case .tuple(let d)?, .list(let d)?: dims = d
        default: throw bad("header 'shape' must be a tuple of integers")
        }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let n) = d, n >= 0 else { throw bad("header 'shape' entries must be non-negative integers") }
            shape.append(n)
        }
        let dtype = try dtype(forDescr: descr, name: name)
        return Header(dtype: dtype, shape: shape)
    }

    /// The dtype for a NumPy descr string, with specific errors for big-endian and unknown types.
    static func dtype(forDescr descr: String, name: String) throws -> DType {
        if let d = DType(npyDescr: descr) { return d }
        // NumPy writes single-byte types with '|' but accepts '<' and '=' for them too.
        if descr.count == 3, let first = descr.first, "<=|".contains(first) {
            let body = descr.dropFirst()
            for prefix in ["<", "|"] {
                if let d = DType(npyDescr: prefix + body), d.byteSize == 1 || prefix == "<" { return d }
            }
        }
        if descr.hasPrefix(">") {
            throw FileFormatError.unsupported(file: name, reason: "big-endian dtype '\(descr)'; convert with "
                                              + "array.astype(array.dtype.newbyteorder('<'))")
        }
        throw FileFormatError.unsupported(file: name, reason: "unknown or unsupported dtype '\(descr)' (supported: "
                                          + "<f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 |b1)")
    }
}
