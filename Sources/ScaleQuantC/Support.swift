import ScaleQuant

/// Status codes returned by every `sq_*` function (0 = success). Stable across versions of the interface.
enum SQStatus {
    /// Success.
    static let ok: Int32 = 0
    /// A null pointer, a negative or overflowing length, inconsistent shapes or indices, an unknown method code, an
    /// unreadable or invalid file (graph specs), an output that would overwrite an input.
    static let invalidArgument: Int32 = 1
    /// An unknown or invalid format name.
    static let invalidFormat: Int32 = 2
    /// A NaN or infinite input value.
    static let notFinite: Int32 = 3
    /// The input is valid but the method does not apply to it (e.g. pairwise on overlapping rank-one terms).
    static let unsupported: Int32 = 4
    /// An output buffer is too small.
    static let bufferTooSmall: Int32 = 5
    /// Anything else.
    static let internalError: Int32 = 6
}

/// An error of the C layer: a status code and a message.
struct CABIError: Error {
    /// The status code returned to the caller.
    let status: Int32
    /// The message written into the caller's buffer.
    let message: String
    init(_ status: Int32, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Largest accepted element count of one array (keeps byte sizes and index arithmetic far from overflow).
let maxElements = Int64(1) << 40
/// Largest accepted matrix dimension for a factor of a chain (bounds the probe vectors of the error estimate).
let maxDimension = Int64(1) << 22

/// Writes `message` into `err` (capacity `errLen` bytes including the terminating NUL), truncated at a UTF-8
/// character boundary and always NUL-terminated. Does nothing if `err` is null or `errLen < 1`.
func writeMessage(_ message: String, to err: UnsafeMutablePointer<CChar>?, capacity errLen: Int64) {
    guard let err, errLen > 0 else { return }
    var bytes = Array(message.utf8)
    let room = Int(Swift.min(errLen - 1, maxElements))
    if bytes.count > room {
        var n = room
        // Do not cut a multi-byte character: back off over continuation bytes (10xxxxxx) and its lead byte.
        if n < bytes.count, bytes[n] & 0xC0 == 0x80 {
            while n > 0, bytes[n] & 0xC0 == 0x80 { n -= 1 }
        }
        bytes.removeSubrange(n...)
    }
    for (i, b) in bytes.enumerated() { err[i] = CChar(bitPattern: b) }
    err[bytes.count] = 0
}

/// Runs `body`, turning every thrown error into a status code and a message in `err`. On success `err` receives
/// the empty string.
func guarded(_ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        writeMessage("", to: err, capacity: errLen)
        return SQStatus.ok
    } catch {
        let (status, message) = classify(error)
        writeMessage(message, to: err, capacity: errLen)
        return status
    }
}

/// The status code and message of a library error.
func classify(_ error: Error) -> (Int32, String) {
    switch error {
    case let e as CABIError: return (e.status, e.message)
    case let e as FormatError: return (SQStatus.invalidFormat, e.description)
    case let e as RankOneError:
        if case .notFinite = e { return (SQStatus.notFinite, e.description) }
        return (SQStatus.invalidArgument, e.description)
    case let e as SparseFactorError:
        switch e {
        case .notFinite: return (SQStatus.notFinite, e.description)
        case .overlappingTerms, .tooExpensive, .notKroneckerSparse: return (SQStatus.unsupported, e.description)
        default: return (SQStatus.invalidArgument, e.description)
        }
    case let e as GraphError:
        // The CLI prints an unsupported case's reason alone; so does the C interface (same message everywhere).
        if case .unsupported(let reason) = e { return (SQStatus.unsupported, reason) }
        return (SQStatus.invalidArgument, e.description)
    case let e as FileFormatError: return (SQStatus.invalidArgument, e.description)
    default: return (SQStatus.internalError, "\(error)")
    }
}

/// A validated element count.
func elementCount(_ n: Int64, _ name: String) throws -> Int {
    guard n >= 0 else { throw CABIError(SQStatus.invalidArgument, "\(name) is negative (\(n))") }
    guard n <= maxElements else { throw CABIError(SQStatus.invalidArgument, "\(name) is too large (\(n))") }
    return Int(n)
}

/// A non-null pointer (null is accepted when `count` is 0; the result is then never dereferenced).
func required<T>(_ p: UnsafePointer<T>?, _ name: String, count: Int = 1) throws -> UnsafePointer<T>? {
    if p == nil && count > 0 { throw CABIError(SQStatus.invalidArgument, "\(name) is a null pointer") }
    return p
}

/// A non-null output pointer (null is accepted when `count` is 0).
func requiredOutput<T>(_ p: UnsafeMutablePointer<T>?, _ name: String, count: Int = 1) throws
    -> UnsafeMutablePointer<T>? {
    if p == nil && count > 0 { throw CABIError(SQStatus.invalidArgument, "\(name) is a null pointer") }
    return p
}

/// Copies `count` doubles, rejecting NaN and infinities with the index of the first offender.
func finiteDoubles(_ p: UnsafePointer<Double>?, _ count: Int, _ name: String) throws -> [Double] {
    guard let p = try required(p, name, count: count) else { return [] }
    let values = Array(UnsafeBufferPointer(start: p, count: count))
    if let i = values.firstIndex(where: { !$0.isFinite }) {
        throw CABIError(SQStatus.notFinite, "\(name)[\(i)] is \(values[i]) (NaN and infinities are not accepted)")
    }
    return values
}

/// The grid named by a C string.
func grid(named name: UnsafePointer<CChar>?, _ label: String) throws -> any NumberGrid {
    guard let name else { throw CABIError(SQStatus.invalidArgument, "\(label) is a null pointer") }
    guard let s = String(validatingCString: name) else {
        throw CABIError(SQStatus.invalidFormat, "\(label) is not valid UTF-8")
    }
    return try FormatCatalog.grid(named: s)
}


extension UnsafeMutablePointer<Double> {
    /// Writes `[l2_path_metric, relative_l2_path_metric, l1_path_metric_bound, certified_output_bound]` at the
    /// first four slots (NaN for a bound the CLI prints as null).
    func writeMetrics(_ m: PathMetrics) {
        self[0] = m.l2PathMetric
        self[1] = m.relativeL2PathMetric
        self[2] = m.l1PathMetricBound ?? .nan
        self[3] = m.certifiedOutputBound ?? .nan
    }
}
