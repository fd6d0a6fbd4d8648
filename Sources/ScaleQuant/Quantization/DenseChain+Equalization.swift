// The cross-layer-equalization baseline (CLE) of ``DenseChainQuantizer``.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DenseChainQuantizer {
    /// Cross-layer equalization (M. Nagel et al., *Data-free quantization through weight equalization and bias
    /// correction*, arXiv 1906.04721): for each hidden neuron i between layers ℓ and ℓ+1, s_i = √(r¹_i / r²_i)
    /// with r¹ the largest |weight| of its incoming row (weights only, as in the paper) and r² of its outgoing
    /// column; the row and bias are divided by s_i and the column multiplied by it; repeated over all layers until
    /// max |log s| < 1e-14, i.e. to the fixed point, which is the same for every member of the rescaling orbit
    /// (25–51 sweeps on the experiment's and the benchmark's networks), or 10,000 sweeps. Returns the equalized
    /// network (same function) and the total scalings (the factors the incoming parameters were multiplied by,
    /// 1/Π s). O(P) per sweep.
    static func crossLayerEqualized(_ network: DenseChain) -> (network: DenseChain, scalings: NeuronScalings) {
        let r = crossLayerEqualizedCounting(network)
        return (r.network, r.scalings)
    }

    /// ``crossLayerEqualized(_:)`` that also returns the number of sweeps run.
    static func crossLayerEqualizedCounting(_ network: DenseChain, tolerance: Double = 1e-14, maxSweeps: Int = 10_000)
        -> (network: DenseChain, scalings: NeuronScalings, sweeps: Int, residual: Double) {
        var net = network
        var total = NeuronScalings.identity(for: network)
        var sweeps = 0, residual = 0.0
        for _ in 0..<maxSweeps {
            sweeps += 1
            var worst = 0.0
            for l in 0..<(net.layers.count - 1) {
                let a = net.layers[l], b = net.layers[l + 1]
                var f = [Double](repeating: 1, count: a.outputs)
                for i in 0..<a.outputs {
                    var r1 = 0.0, r2 = 0.0
                    for k in 0..<a.inputs { r1 = max(r1, abs(a.weight[i * a.inputs + k])) }
                    for o in 0..<b.outputs { r2 = max(r2, abs(b.weight[o * b.inputs + i])) }
                    guard r1 > 0, r2 > 0 else { continue }
                    let s = (r1 / r2).squareRoot()
                    f[i] = 1 / s
                    worst = max(worst, abs(log(s)))
                }
                net.layers[l].scale(rows: f, columnsDividedBy: nil)
                net.layers[l + 1].scale(rows: nil, columnsDividedBy: f)
                for i in 0..<f.count { total.factors[l][i] *= f[i] }
            }
            residual = worst
            if worst < tolerance { break }
        }
        return (net, total, sweeps, residual)
    }
}
