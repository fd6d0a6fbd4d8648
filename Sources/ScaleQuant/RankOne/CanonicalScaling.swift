// The one tie-break rule between equivalent quantized vectors, shared by the network quantizers (the neuron pair
// problem, left-to-right on dense chains) and the sparse-chain quantizer (its pairs and its left steps).
//
// A rank-one solver returns one member of a class of equally good answers: (x̂, ŷ) and (s·x̂, ŷ/s) have the same
// product, and x̂ and s·x̂ the same cosine with x, for every s that keeps them on the grid. Which member is kept
// does not change the step's objective, but it is what the next steps see (a chain pushes μ = x·x̂/‖x̂‖² into the
// next factor) and what the caller stores, so it must depend on the class only, not on the solver's path (F_p
// shortcut or bounded sweep) or on the input's scale.

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

/// The canonical member of the class of a left step's x̂ = Q(λx) (cosine-optimal for the input x): when x itself is
/// a multiple of a sign vector on x̂'s support (all its non-zero magnitudes equal, as in Hadamard-like factors),
/// every grid multiple c·sign(x̂) has cosine 1 with x, so the class is that whole family and its canonical member is
/// the sign vector itself (when ±1 is on the grid); otherwise ``canonicalVector(_:_:lastGrid:)``.
///
/// Why the sign vector: the solver returns an arbitrary member of such a family (x̂ = 1.125·(1, 1) for
/// x = (1, 1)/√2 in e4m3); its significand would be pushed into the next factor through μ, where no product of
/// grid values cancels it, so exactly representable chains such as the Walsh–Hadamard transform would not be
/// recovered. With the sign vector, μ carries x's magnitude and they are (docs/Butterfly.md §4).
///
/// Complexity: O(m).
func canonicalVector(_ v: [Double], input x: [Double], _ g: any NumberGrid) -> [Double] {
    precondition(v.count == x.count, "canonicalVector: \(v.count) values for an input of \(x.count)")
    func sameMagnitudes(_ w: [Double]) -> Bool {
        guard let m = w.first(where: { $0 != 0 }).map({ abs($0) }) else { return false }
        return w.allSatisfy { $0 == 0 || abs($0) == m }
    }
    if zip(x, v).allSatisfy({ ($0 == 0) == ($1 == 0) }), sameMagnitudes(x), sameMagnitudes(v) {
        let signs = v.map { $0 == 0 ? 0 : ($0 < 0 ? -1.0 : 1.0) }
        if onGrid(signs, times: 0, g) { return signs }
    }
    return canonicalVector(v, g)
}
