import ScaleQuant

/// Describes a format: writes 8 doubles into `out_values`:
/// `[precision, emin, emax, max_finite, min_subnormal, min_normal, finite_values, kind]`.
///
/// NaN marks a quantity that does not apply (no exponent range for `p=N` and `intN`, no subnormals, no precision
/// for integer grids), `+inf` an unbounded one (max_finite and finite_values of `p=N`). `min_subnormal` is the
/// smallest positive value (the step of `intN`), `finite_values` counts zero once and both signs (exact below 2^53),
/// and `kind` is 0 for a bounded float format, 1 for the idealized grid `p=N`, 2 for an integer grid.
/// The columns are those of `scalequant formats --json`.
///
/// Returns 0, or a status code with a message in `err` (unknown format: 2).
@_cdecl("sq_format_info")
public func sq_format_info(_ name: UnsafePointer<CChar>?, _ outValues: UnsafeMutablePointer<Double>?,
                           _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64) -> Int32 {
    guarded(err, errLen) {
        let g = try grid(named: name, "name")
        guard let out = try requiredOutput(outValues, "out_values") else { return }
        var v = [Double](repeating: .nan, count: 8)
        v[3] = g.maxFinite
        v[6] = g.positiveValueCount.map { 2 * Double($0) + 1 } ?? .infinity
        if let f = g as? FloatFormat {
            v[0] = Double(f.precision)
            if let r = f.exponentRange {
                v[1] = Double(r.lowerBound)
                v[2] = Double(r.upperBound)
            }
            if !f.isIdealized {
                if f.hasSubnormals { v[4] = f.smallestPositive }
                v[5] = f.smallestNormal
            }
            v[7] = f.isIdealized ? 1 : 0
        } else {
            if g.smallestPositive > 0 { v[4] = g.smallestPositive }
            v[7] = g is IntegerGrid ? 2 : -1
        }
        for i in 0..<8 { out[i] = v[i] }
    }
}

/// Writes the canonical names of the preset formats, comma-separated and NUL-terminated, into `buf` (capacity
/// `buf_len` bytes). Other accepted names: `p=N`, `intN`, `intN@STEP`, `eXmY[fn|fnuz|finite]` (see docs/Python.md).
///
/// Returns 0, or 5 if the buffer is too small (the message gives the size needed; `buf` then holds "").
@_cdecl("sq_format_list")
public func sq_format_list(_ buf: UnsafeMutablePointer<CChar>?, _ bufLen: Int64,
                           _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64) -> Int32 {
    guarded(err, errLen) {
        guard let buf else { throw CABIError(SQStatus.invalidArgument, "buf is a null pointer") }
        let list = FormatCatalog.presets.map(\.name).joined(separator: ",")
        let needed = list.utf8.count + 1
        guard bufLen >= needed else {
            if bufLen > 0 { buf[0] = 0 }
            throw CABIError(SQStatus.bufferTooSmall, "buf_len is \(bufLen) but the list needs \(needed) bytes")
        }
        writeMessage(list, to: buf, capacity: bufLen)
    }
}

/// Rounds `n` doubles from `input` into `output` on the named grid (nearest, ties to even, saturating).
/// `input` and `output` may be the same buffer. NaN and infinities are rejected (status 3) and nothing is
/// guaranteed about `output` then.
@_cdecl("sq_round")
public func sq_round(_ name: UnsafePointer<CChar>?, _ input: UnsafePointer<Double>?,
                     _ output: UnsafeMutablePointer<Double>?, _ n: Int64,
                     _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64) -> Int32 {
    guarded(err, errLen) {
        let g = try grid(named: name, "name")
        let count = try elementCount(n, "n")
        guard let src = try required(input, "in", count: count),
              let dst = try requiredOutput(output, "out", count: count) else { return }
        for i in 0..<count where !src[i].isFinite {
            throw CABIError(SQStatus.notFinite, "in[\(i)] is \(src[i]) (NaN and infinities are not accepted)")
        }
        if UnsafeRawPointer(src) == UnsafeRawPointer(dst) {
            // In place: round through a copy so that no buffer is both read and written by the library.
            let copy = Array(UnsafeBufferPointer(start: src, count: count))
            copy.withUnsafeBufferPointer { g.round($0, into: UnsafeMutableBufferPointer(start: dst, count: count)) }
        } else {
            g.round(UnsafeBufferPointer(start: src, count: count), into: UnsafeMutableBufferPointer(start: dst, count: count))
        }
    }
}
