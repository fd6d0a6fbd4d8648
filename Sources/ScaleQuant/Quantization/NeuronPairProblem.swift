// The per-neuron subproblem shared by exact, left-to-right and coordinate descent (its canonical tie-breaking
// between equivalent quantized vectors is RankOne/CanonicalScaling.swift).

/// The weighted rank-one step for one hidden neuron: minimizes
/// −2(Σ a_o x̂_o)(Σ b_k ŷ_k) + (Σ c_o x̂_o²)(Σ d_k ŷ_k²) with x̂ (outgoing column) on `gridX` and ŷ (incoming row,
/// last entry the bias) on `gridY`, the bias on `biasGrid`.
///
/// Coordinates with c = 0 or d = 0 carry no weight and keep their `current` value. When the bias grid equals
/// `gridY` the result is the exact minimum (``RankOne/solveWeighted(a:c:b:d:gridX:gridY:keepY:)``); otherwise the
/// scale is searched with the bias on `gridY` and the bias is then re-rounded optimally for the chosen x̂,
/// b̂ = Q_bias(μ·b/d) (exact given x̂, not a global optimum). If `current` is given, the better of it and the
/// new solution is returned, so the objective never increases.
struct NeuronPairProblem {
    var a: [Double], c: [Double], b: [Double], d: [Double]

    func objective(_ x: [Double], _ y: [Double]) -> Double {
        var sa = 0.0, sc = 0.0, sb = 0.0, sd = 0.0
        for o in 0..<a.count { sa += a[o] * x[o]; sc += c[o] * x[o] * x[o] }
        for k in 0..<b.count { sb += b[k] * y[k]; sd += d[k] * y[k] * y[k] }
        return -2 * sa * sb + sc * sd
    }

    func solve(gridX: any NumberGrid, gridY: any NumberGrid, biasGrid: any NumberGrid,
               current: (x: [Double], y: [Double])?) throws -> (x: [Double], y: [Double]) {
        let xi = (0..<a.count).filter { c[$0] > 0 }, yi = (0..<b.count).filter { d[$0] > 0 }
        var x = current?.x ?? [Double](repeating: 0, count: a.count)
        var y = current?.y ?? [Double](repeating: 0, count: b.count)
        guard !xi.isEmpty, !yi.isEmpty else { return (x, y) }
        let w = try RankOne.solveWeighted(a: xi.map { a[$0] }, c: xi.map { c[$0] }, b: yi.map { b[$0] },
                                          d: yi.map { d[$0] }, gridX: gridX, gridY: gridY, parallel: false)
        for (t, o) in xi.enumerated() { x[o] = w.xHat[t] }
        for (t, k) in yi.enumerated() { y[k] = w.yHat[t] }
        let last = b.count - 1
        if d[last] > 0, !sameGrid(gridY, biasGrid) { y[last] = biasGrid.round(w.mu * b[last] / d[last]) }
        if let current, objective(current.x, current.y) <= objective(x, y) { return current }
        return canonicalPair(x, y, gridX, gridY, lastGrid: biasGrid)
    }
}
