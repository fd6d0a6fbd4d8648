extension DType {
    /// Decodes `count` little-endian elements starting at byte `offset` of `bytes`.
    ///
    /// - Precondition: `offset + count * byteSize <= bytes.count` (callers validate sizes first).
    func decode(_ bytes: [UInt8], offset: Int, count: Int) -> [Double] {
        let size = byteSize
        let format = floatFormat
        var out = [Double](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { buf in
            for i in 0..<count {
                var code: UInt64 = 0
                let base = offset + i * size
                for k in 0..<size { code |= UInt64(buf[base + k]) << UInt64(8 * k) }
                out[i] = value(ofCode: code, format: format)
            }
        }
        return out
    }

    private func value(ofCode code: UInt64, format: FloatFormat?) -> Double {
        switch self {
        case .float16, .bfloat16, .float8E4M3FN, .float8E5M2:
            return format?.decode(code) ?? .nan
        case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: code)))
        case .float64: return Double(bitPattern: code)
        case .int8: return Double(Int8(truncatingIfNeeded: code))
        case .int16: return Double(Int16(truncatingIfNeeded: code))
        case .int32: return Double(Int32(truncatingIfNeeded: code))
        case .int64: return Double(Int64(truncatingIfNeeded: code))
        case .uint8: return Double(UInt8(truncatingIfNeeded: code))
        case .bool: return code == 0 ? 0 : 1
        }
    }

    /// Encodes values as little-endian elements, appending to `out`.
    ///
    /// - Returns: `nil` on success, or a message naming the first value that is not exactly representable.
    func encode(_ values: [Double], into out: inout [UInt8]) -> String? {
        let size = byteSize
        let format = floatFormat
        out.reserveCapacity(out.count + values.count * size)
        for (i, x) in values.enumerated() {
            guard let code = self.code(of: x, format: format) else {
                return "value \(x) at index \(i) is not exactly representable as \(rawValue)"
            }
            for k in 0..<size { out.append(UInt8(truncatingIfNeeded: code >> UInt64(8 * k))) }
        }
        return nil
    }

    /// The bit pattern of `x`, or `nil` if `x` is not exactly representable.
    private func code(of x: Double, format: FloatFormat?) -> UInt64? {
        switch self {
        case .float16, .bfloat16, .float8E4M3FN, .float8E5M2:
            guard let format, let enc = try? format.encode(x), !enc.overflowed else { return nil }
            let back = format.decode(enc.code)
            if x.isNaN { return back.isNaN ? enc.code : nil }
            return back == x && back.sign == x.sign ? enc.code : nil
        case .float32:
            let f = Float(x)
            if x.isNaN { return UInt64(f.bitPattern) }
            return Double(f) == x ? UInt64(f.bitPattern) : nil
        case .float64: return x.bitPattern
        case .int8: return Int8(exactly: x).map { UInt64(UInt8(bitPattern: $0)) }
        case .int16: return Int16(exactly: x).map { UInt64(UInt16(bitPattern: $0)) }
        case .int32: return Int32(exactly: x).map { UInt64(UInt32(bitPattern: $0)) }
        case .int64: return Int64(exactly: x).map { UInt64(bitPattern: $0) }
        case .uint8: return UInt8(exactly: x).map { UInt64($0) }
        case .bool: return x == 0 ? 0 : (x == 1 ? 1 : nil)
        }
    }

    /// Whether every value can be stored in this dtype without change (NaN counts as representable for floats).
    public func canRepresent(_ values: [Double]) -> Bool {
        let format = floatFormat
        return values.allSatisfy { code(of: $0, format: format) != nil }
    }
}
