// The per-neuron subproblem shared by exact, left-to-right and coordinate descent, and the canonical
// tie-breaking between equivalent quantized vectors.

/// Whether two grids round identically (same concrete type and parameters).
func sameGrid(_ a: any NumberGrid, _ b: any NumberGrid) -> Bool {
    if let x = a as? FloatFormat, let y = b as? FloatFormat { return x == y }
    if let x = a as? IntegerGrid, let y = b as? IntegerGrid { return x == y }
    return a.description == b.description && a.maxFinite == b.maxFinite && a.smallestPositive == b.smallestPositive
}

/// Whether every entry of `v` times 2^e is exactly a grid value (the last entry on `lastGrid` if given).
func onGrid(_ v: [Double], times e: Int, _ g: any NumberGrid, lastGrid: (any NumberGrid)? = nil) -> Bool {
    for (k, x) in v.enumerated() {
        let y = Double(sign: .plus, exponent: e, significand: x)
        let grid = k == v.count - 1 ? (lastGrid ?? g) : g
        if !y.isFinite || (x != 0 && y == 0) || grid.round(y) != y { return false }
    }
    return true
}

/// The valid power-of-two shift nearest to `target`: the valid shifts form an interval containing 0 (a value
/// times 2^e stays on a float grid for e between the loss of its last bit and overflow), so the answer is `target`
/// if valid, else the boundary between 0 and `target`, found by bisection. O(n·log|target|) checks.
func nearestValidShift(target: Int, _ valid: (Int) -> Bool) -> Int {
    if target == 0 || valid(target) { return target }
    var good = 0, bad = target  // valid(good), !valid(bad)
    while abs(bad - good) > 1 {
        let mid = good + (bad - good) / 2
        if valid(mid) { good = mid } else { bad = mid }
    }
    return good
}

/// Breaks ties between equivalent quantized vectors. Scaling by a power of two (or, on an integer grid, by an
/// integer ratio) keeps cos(y, ŷ), and the rank-one solvers may return any member of such a class depending on
/// the input's scale; picking a member that depends only on the class keeps left-to-right independent of the
/// input scaling. Float grids: the member whose largest magnitude is nearest [1, 2) (the middle of a format's
/// exponent range, so that the factors pushed forward stay moderate); integer grids: the largest multiple of
/// the reduced codes. The last entry (a bias) is checked against `lastGrid`.
func canonicalVector(_ v: [Double], _ g: any NumberGrid, lastGrid: (any NumberGrid)? = nil) -> [Double] {
    guard let top = v.lazy.map({ abs($0) }).max(), top > 0 else { return v }
    if let ig = g as? IntegerGrid, lastGrid.map({ sameGrid($0, g) }) ?? true {
        let codes = v.map { ig.code($0) }
        let g0 = codes.reduce(0) { gcd($0, abs($1)) }
        let m = codes.reduce(0) { max($0, abs($1)) } / g0
        let k = ig.maxCode / m
        return codes.map { Double($0 / g0 * k) * ig.step }
    }
    let e = nearestValidShift(target: -Int(top.exponent)) { onGrid(v, times: $0, g, lastGrid: lastGrid) }
    return e == 0 ? v : v.map { Double(sign: .plus, exponent: e, significand: $0) }
}

/// The canonical member (2^e·x̂, 2^−e·ŷ) of a quantized pair (x̂ŷᵀ and every objective of the pair are unchanged):
/// on float grids the e that balances the largest magnitudes of the two sides, on integer grids the largest
/// multiple for x̂; see ``canonicalVector(_:_:lastGrid:)``.
func canonicalPair(_ x: [Double], _ y: [Double], _ gx: any NumberGrid, _ gy: any NumberGrid,
                   lastGrid: (any NumberGrid)? = nil) -> (x: [Double], y: [Double]) {
    guard let tx = x.lazy.map({ abs($0) }).max(), tx > 0, let ty = y.lazy.map({ abs($0) }).max(), ty > 0 else {
        return (x, y)
    }
    if let ix = gx as? IntegerGrid, let iy = gy as? IntegerGrid, lastGrid.map({ sameGrid($0, gy) }) ?? true {
        // Integer grids: (X·m₁, Y·m₂) with m₁m₂ = gcd(X)·gcd(Y) are all equivalent; take the largest m₁ that fits.
        let cx = x.map { ix.code($0) }, cy = y.map { iy.code($0) }
        let gX = cx.reduce(0) { gcd($0, abs($1)) }, gY = cy.reduce(0) { gcd($0, abs($1)) }
        let mx = cx.reduce(0) { max($0, abs($1)) } / gX, my = cy.reduce(0) { max($0, abs($1)) } / gY
        let product = gX * gY
        var m1 = min(product, ix.maxCode / mx)
        while m1 > 1 && (product % m1 != 0 || my * (product / m1) > iy.maxCode) { m1 -= 1 }
        let m2 = product / m1
        guard my * m2 <= iy.maxCode else { return (x, y) }
        return (cx.map { Double($0 / gX * m1) * ix.step }, cy.map { Double($0 / gY * m2) * iy.step })
    }
    let target = (Int(ty.exponent) - Int(tx.exponent)) / 2
    let e = nearestValidShift(target: target) { onGrid(x, times: $0, gx) && onGrid(y, times: -$0, gy, lastGrid: lastGrid) }
    if e == 0 { return (x, y) }
    return (x.map { Double(sign: .plus, exponent: e, significand: $0) },
            y.map { Double(sign: .plus, exponent: -e, significand: $0) })
}

/// Greatest common divisor of non-negative integers (gcd(0, n) = n).
func gcd(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}

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
