// What the C interface (and so Python) checks before running the rank-one based and data-aware methods on a
// perceptron: inputs that would be too costly or leave the solvers' safe range are refused with a message
// instead of running for hours or overflowing.

extension GraphNetwork {
    /// Largest number of rounding boundaries in one neuron's rescaling family for the data-aware method.
    public static let maxDataAwareBoundaries = 1 << 24
    /// Largest magnitude (as a power of two) of calibration inputs and activations for the data-aware method.
    public static let maxActivationExponent = 256

    /// Refuses perceptrons the rank-one solver behind exact, l2r, cd and data cannot handle safely: per hidden
    /// neuron, its incoming parameters (row and bias) and outgoing column are checked with
    /// ``RankOne/checkLimits(_:grid:name:)`` against the grids, in the network and in its normal form, and every
    /// non-zero magnitude of both must lie within 2^±(``RankOne/maxBinadeSpan``/2), so that the product of two stays
    /// within the solver's span. Other graphs are not checked. O(P).
    ///
    /// - Throws: ``GraphError/unsupported(_:)`` naming the layer, the neuron and the limit; ``FormatError``.
    public func checkRankOneLimits(grids spec: GraphGridSpec) throws {
        guard let network = DenseChain(self) else { return }
        let maxExponent = RankOne.maxBinadeSpan / 2
        let normal = network.normalForm().network
        let grids = try spec.resolve(forChain: normal)
        for (net, which) in [(network, "the network"), (normal, "the network's normal form")] {
            for (l, layer) in net.layers.enumerated() {
                for v in layer.weight + layer.bias where v != 0 && abs(Int(abs(v).exponent)) > maxExponent {
                    throw GraphError.unsupported("layer \(l) of \(which) has a parameter of magnitude "
                        + "2^\(Int(abs(v).exponent)), beyond the rank-one solver's limit of 2^±\(maxExponent)")
                }
                guard l + 1 < net.layers.count else { continue }
                let next = net.layers[l + 1]
                do {
                    for i in 0..<layer.outputs {
                        try RankOne.checkLimits(layer.incoming(i), grid: grids.weights[l],
                                               name: "layer \(l) neuron \(i) incoming parameters")
                        try RankOne.checkLimits(layer.incoming(i), grid: grids.biases[l],
                                               name: "layer \(l) neuron \(i) incoming parameters")
                        try RankOne.checkLimits(next.column(i), grid: grids.weights[l + 1],
                                               name: "layer \(l) neuron \(i) outgoing weights")
                    }
                } catch let e as RankOneError {
                    throw GraphError.unsupported("\(e.description) (in \(which))")
                }
            }
        }
    }

    /// Refuses perceptrons whose data-aware search would list more than ``maxDataAwareBoundaries`` rounding
    /// boundaries for one hidden neuron (its non-zero incoming weights and bias; the search holds them all in
    /// memory). Other graphs are not checked. O(P).
    ///
    /// - Throws: ``GraphError/unsupported(_:)`` naming the layer and neuron; ``FormatError``.
    public func checkDataAwareCost(grids spec: GraphGridSpec) throws {
        guard let network = DenseChain(self) else { return }
        let grids = try spec.resolve(forChain: network)
        func boundaries(_ grid: any NumberGrid) -> Double {
            if let count = grid.positiveValueCount { return Double(count) + 1 }
            if let f = grid as? FloatFormat { return Double(sign: .plus, exponent: f.precision, significand: 1) + 2 }
            return .infinity
        }
        for l in 0..<(network.layers.count - 1) {
            let layer = network.layers[l]
            let perWeight = boundaries(grids.weights[l]), perBias = boundaries(grids.biases[l])
            for j in 0..<layer.outputs {
                var total = 0.0
                for (i, v) in layer.incoming(j).enumerated() where v != 0 { total += i < layer.inputs ? perWeight : perBias }
                if total > Double(Self.maxDataAwareBoundaries) {
                    throw GraphError.unsupported("data-aware quantization of layer \(l) neuron \(j) would list \(total) "
                        + "rounding boundaries (limit \(Self.maxDataAwareBoundaries)): use a narrower format")
                }
            }
        }
    }

    /// Refuses calibration data on which a perceptron's inputs or pre-activations exceed
    /// 2^``maxActivationExponent`` in magnitude (the data-aware search's sums of squares must stay finite). Other
    /// graphs are not checked. O(count · P).
    ///
    /// - Throws: ``GraphError/unsupported(_:)`` naming the value.
    public func checkActivations(calibration: [Double], count: Int) throws {
        guard let network = DenseChain(self) else { return }
        let limit = Double(sign: .plus, exponent: Self.maxActivationExponent, significand: 1)
        if let i = calibration.firstIndex(where: { abs($0) > limit }) {
            throw GraphError.unsupported("calib[\(i)] is \(calibration[i]), beyond the supported magnitude "
                                         + "2^\(Self.maxActivationExponent)")
        }
        var x = calibration
        for (l, layer) in network.layers.enumerated() {
            let z = DenseChain(unchecked: [layer]).forward(x, batch: count)
            if let i = z.firstIndex(where: { !$0.isFinite || abs($0) > limit }) {
                throw GraphError.unsupported("layer \(l) output \(i % layer.outputs) on calibration sample "
                    + "\(i / layer.outputs) is \(z[i]), beyond the supported magnitude 2^\(Self.maxActivationExponent)")
            }
            x = z.map { max($0, 0) }
        }
    }
}
