#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import ScaleQuant

/// Relative difference |a − b| / max(|a|, |b|, tiny).
func relDiff(_ a: Double, _ b: Double) -> Double {
    abs(a - b) / max(abs(a), abs(b), 1e-300)
}

/// The affine layers of a perceptron graph (``DenseChain``); fails the test if the graph is not one.
func denseLayers(_ g: GraphNetwork) throws -> [DenseLayer] {
    try #require(DenseChain(g)).layers
}

/// A reference forward pass of a perceptron graph, one sample, plain loops over its linear and relu nodes.
func referenceForward(_ g: GraphNetwork, _ x: [Double]) -> [Double] {
    var h = x
    for node in g.nodes {
        switch node.operation {
        case .linear(let inputs, let outputs):
            h = (0..<outputs).map { o in
                (0..<inputs).reduce(node.bias[o]) { $0 + node.weight[o * inputs + $1] * h[$1] }
            }
        case .relu:
            h = h.map { max($0, 0) }
        default:
            preconditionFailure("referenceForward: not a perceptron")
        }
    }
    return h
}

/// Random positive factors log-uniform in [0.01, 100], one per hidden neuron of a perceptron, layer by layer
/// (the order of ``GraphNetwork/rescaled(by:)``).
func randomNeuronFactors(_ g: GraphNetwork, seed: UInt64) -> [Double] {
    var rng = SeededGenerator(seed: seed)
    let hidden = g.perceptronWidths!.dropFirst().dropLast().reduce(0, +)
    return (0..<hidden).map { _ in pow(10, 4 * rng.nextUnit() - 2) }
}

