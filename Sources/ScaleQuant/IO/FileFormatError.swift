/// An error reading or writing an array or model file. Every message names the file and the problem.
public enum FileFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file's contents are malformed (bad magic, truncated data, inconsistent header …).
    case malformed(file: String, reason: String)
    /// The file is well-formed but uses a feature this reader does not support.
    case unsupported(file: String, reason: String)
    /// The file could not be read or written.
    case io(file: String, reason: String)
    /// A value cannot be stored in the requested dtype without changing it.
    case notRepresentable(file: String, reason: String)
    /// A write was refused because the destination is one of the inputs.
    case refusingToOverwriteInput(file: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case .malformed(let f, _), .unsupported(let f, _), .io(let f, _), .notRepresentable(let f, _),
             .refusingToOverwriteInput(let f):
            return f
        }
    }

    /// A human-readable message of the form `file: problem`.
    public var description: String {
        switch self {
        case .malformed(let f, let r): return "\(f): \(r)"
        case .unsupported(let f, let r): return "\(f): unsupported: \(r)"
        case .io(let f, let r): return "\(f): \(r)"
        case .notRepresentable(let f, let r): return "\(f): \(r)"
        case .refusingToOverwriteInput(let f):
            return "\(f): refusing to overwrite an input file; choose a different output path"
        }
    }
}
