@testable import ScaleQuant

/// A hand-built enumeration of Φ(θ) for a perceptron graph, read straight from its linear nodes (independent of
/// the library's enumerator and dense view): every path from an input or a bias to an output, its value the bias
/// (or 1) times the weights along it, multiplied in path order. Sorted, so it compares with any other enumeration
/// of the same multiset.
func densePaths(_ g: GraphNetwork) -> [Double] {
    var inPaths: [[Double]]? = nil
    for node in g.nodes {
        guard case .linear(let inputs, let outputs) = node.operation else { continue }  // relu: weight-1 edges
        let feeding = inPaths ?? [[Double]](repeating: [1], count: inputs)
        inPaths = (0..<outputs).map { o in
            (0..<inputs).flatMap { k in feeding[k].map { node.weight[o * inputs + k] * $0 } } + [node.bias[o]]
        }
    }
    return (inPaths ?? []).flatMap { $0 }.sorted()
}
