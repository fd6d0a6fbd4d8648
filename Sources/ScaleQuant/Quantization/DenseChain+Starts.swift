// Where coordinate descent starts from, and on which grids: the rescaling-independent candidates.

extension DenseChainQuantizer {
    /// Coordinate descent from every rescaling-independent start, keeping the best end point.
    ///
    /// Grids: those of the ``DenseChain/normalForm()`` and, when they differ (integer grids with per-layer steps),
    /// those of the cross-layer-equalized normal form, the grids CLE rounds to. Starts on each: left-to-right, RTN of
    /// the max-normalized network (on coarse formats left-to-right can lose whole layers to the format's limited
    /// range, and the all-zero network is a fixed point of coordinate descent) and RTN of the equalized network
    /// (CLE's answer). The best start of each grid choice is descended; the best end point wins. Every candidate
    /// depends only on the rescaling orbit (the normal form, and CLE's fixed point, which the equalization reaches
    /// to ~1e-14 from any member of the orbit), so the result stays independent of the input's scaling, and it is
    /// never worse than any start: in particular never worse than CLE (up to that fixed-point tolerance).
    static func bestCoordinateDescent(_ network: DenseChain, grids: GraphGridSpec,
                                      options: GraphCoordinateDescentOptions) throws
        -> (network: DenseChain, history: [Double], sweeps: Int,
            grids: LayerGrids) {
        let normal = network.normalForm().network
        let equalized = crossLayerEqualized(normal).network
        let gNormal = try grids.resolve(forChain: normal), gEqualized = try grids.resolve(forChain: equalized)
        let sameGrids = zip(gNormal.weights + gNormal.biases, gEqualized.weights + gEqualized.biases)
            .allSatisfy { sameGrid($0, $1) }
        var choices = [gNormal]
        if !sameGrids { choices.append(gEqualized) }
        var best: (network: DenseChain, history: [Double], sweeps: Int,
                   grids: LayerGrids)?
        var bestValue = Double.infinity
        for g in choices {
            let starts = [try leftToRight(network, g), roundToNearest(maxNormalized(network, g.weights), g),
                          roundToNearest(equalized, g)]
            let values = starts.map { network.squaredPathDistance(to: $0) }
            let first = values.indices.min { values[$0] < values[$1] }!
            options.beforeDescent?(values[first])
            let cd = try coordinateDescent(network, start: starts[first], grids: g, options: options)
            let value = network.squaredPathDistance(to: cd.network)
            if value < bestValue { bestValue = value; best = (cd.network, cd.history, cd.sweeps, g) }
        }
        return best!
    }

    /// The network rescaled so that every hidden neuron's largest incoming |weight or bias| equals the largest
    /// finite value of its layer's grid (1 for unbounded grids): a canonical member of the rescaling orbit that
    /// uses the whole range of the format, a rescaling-independent starting point for RTN. O(P).
    static func maxNormalized(_ network: DenseChain, _ grids: [any NumberGrid]) -> DenseChain {
        var out = network
        for l in 0..<(network.layers.count - 1) {
            let layer = out.layers[l]
            let target = grids[l].maxFinite.isFinite ? grids[l].maxFinite : 1
            var f = [Double](repeating: 1, count: layer.outputs)
            for i in 0..<layer.outputs {
                var m = abs(layer.bias[i])
                for k in 0..<layer.inputs { m = max(m, abs(layer.weight[i * layer.inputs + k])) }
                if m > 0 { f[i] = target / m }
            }
            out.layers[l].scale(rows: f, columnsDividedBy: nil)
            out.layers[l + 1].scale(rows: nil, columnsDividedBy: f)
        }
        return out
    }
}
