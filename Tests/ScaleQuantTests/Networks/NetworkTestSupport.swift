import Testing
@testable import ScaleQuant

/// Relative difference |a − b| / max(|a|, |b|, tiny).
func relDiff(_ a: Double, _ b: Double) -> Double {
    abs(a - b) / max(abs(a), abs(b), 1e-300)
}

/// A reference forward pass, one sample, plain loops.
func referenceForward(_ net: ReLUNetwork, _ x: [Double]) -> [Double] {
    var h = x
    for (l, layer) in net.layers.enumerated() {
        var z = [Double](repeating: 0, count: layer.outputs)
        for o in 0..<layer.outputs {
            var s = layer.bias[o]
            for i in 0..<layer.inputs { s += layer[o, i] * h[i] }
            z[o] = l < net.layers.count - 1 ? max(s, 0) : s
        }
        h = z
    }
    return h
}

/// Random positive scalings with factors in [0.01, 100] (log-uniform).
func randomScalings(_ net: ReLUNetwork, seed: UInt64) -> NeuronScalings {
    var rng = SeededGenerator(seed: seed)
    return NeuronScalings(factors: net.hiddenSizes.map { n in
        (0..<n).map { _ in pow(10, 4 * rng.nextUnit() - 2) }
    })
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
