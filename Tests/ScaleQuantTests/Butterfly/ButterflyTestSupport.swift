@testable import ScaleQuant

/// Dense entry (r, c) of a factor straight from the definition: nonzero iff r and c share i_a and i_d.
func naiveEntry(_ f: KSFactor, _ r: Int, _ col: Int) -> Double {
    let ia = r / (f.b * f.d), ib = (r / f.d) % f.b, idr = r % f.d
    let ja = col / (f.c * f.d), ic = (col / f.d) % f.c, idc = col % f.d
    guard ia == ja, idr == idc else { return 0 }
    return f.values[((ia * f.b + ib) * f.c + ic) * f.d + idr]
}

/// The dense factor from ``naiveEntry``.
func naiveDense(_ f: KSFactor) -> [Double] {
    var m = [Double](repeating: 0, count: f.rowCount * f.columnCount)
    for r in 0..<f.rowCount { for c in 0..<f.columnCount { m[r * f.columnCount + c] = naiveEntry(f, r, c) } }
    return m
}

/// Naive row-major product (m × k)(k × n).
func naiveMatmul(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { var s = 0.0; for t in 0..<k { s += a[i * k + t] * b[t * n + j] }; c[i * n + j] = s } }
    return c
}

/// Max absolute difference.
func maxDiff(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// A factor with pattern p and seeded Gaussian values.
func randomFactor(_ p: (Int, Int, Int, Int), seed: UInt64) throws -> KSFactor {
    var rng = SeededGenerator(seed: seed)
    return try KSFactor(a: p.0, b: p.1, c: p.2, d: p.3, values: rng.gaussians(p.0 * p.1 * p.2 * p.3))
}

/// Sylvester–Hadamard H_N, row-major: (−1)^popcount(i & j).
func sylvester(_ n: Int) -> [Double] {
    var h = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { h[i * n + j] = (i & j).nonzeroBitCount % 2 == 0 ? 1 : -1 } }
    return h
}
