/// Errors building, loading, transforming or measuring a ``GraphNetwork``. Every message names the node, tensor
/// or file concerned and the problem.
public enum GraphError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A node whose kind, inputs, parameters or shapes are invalid.
    case invalidNode(node: String, reason: String)
    /// A problem with the graph as a whole (no nodes, input shape, output node, unused nodes …).
    case invalidGraph(String)
    /// A malformed or inconsistent JSON graph spec or weights file.
    case invalidSpec(file: String, reason: String)
    /// An operation that does not apply to this graph (e.g. path measures before batch-norm folding).
    case unsupported(String)
    /// Two graphs that should share one structure do not.
    case mismatch(String)
    /// An argument out of range (a scaling factor ≤ 0, a negative radius, an input of the wrong size …).
    case invalidArgument(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .invalidNode(let n, let r): return "node '\(n)': \(r)"
        case .invalidGraph(let r): return "invalid graph: \(r)"
        case .invalidSpec(let f, let r): return "\(f): \(r)"
        case .unsupported(let r): return "unsupported: \(r)"
        case .mismatch(let r): return "graphs differ in structure: \(r)"
        case .invalidArgument(let r): return "invalid argument: \(r)"
        }
    }
}
