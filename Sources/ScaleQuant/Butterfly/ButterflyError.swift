/// Errors of the butterfly layer.
public enum ButterflyError: Error, CustomStringConvertible, Equatable {
    /// A pattern is invalid or its values have the wrong count.
    case badPattern(String)
    /// Consecutive factors do not chain (columns of one ≠ rows of the next), or the chain is empty.
    case incompatible(String)
    /// A size is not a power of two ≥ 2, or a matrix is not square.
    case badSize(String)
    /// An input has NaN or infinite entries.
    case notFinite(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .badPattern(let s), .incompatible(let s), .badSize(let s), .notFinite(let s): return s
        }
    }
}
