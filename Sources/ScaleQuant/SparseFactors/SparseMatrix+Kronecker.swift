/// Recognition of Kronecker-sparse (butterfly) supports I_a ⊗ 1_{b×c} ⊗ I_d in arbitrary sparse matrices (chains given
/// in coordinate form: scipy.sparse, pyfaust), for the contract of ``SparseChain/rightToLeft(_:grid:threads:)``.
extension SparseMatrix {
    /// The largest Kronecker-sparse support accepted for a matrix with `entries` stored entries: 2·entries
    /// positions, i.e. the stored entries must fill at least half of the support. Without such a bound every matrix
    /// would qualify through the dense pattern (1, rows, columns, 1); with it, the support (a ``KSFactor``'s values)
    /// takes at most twice the input's memory, and sparse factors of another structure (e.g. the constant-geometry factors of
    /// `pyfaust.wht`, 2 entries per row) are recognized as not Kronecker-sparse.
    public static func maxKroneckerSupport(entries: Int) -> Int { 2 * entries }

    /// Whether position (r, col) lies in the support of pattern (a, b, c, d): the same diagonal block
    /// (r / (b·d) = col / (c·d)) and the same offset modulo d.
    @inline(__always)
    static func inSupport(_ r: Int, _ col: Int, _ p: (a: Int, b: Int, c: Int, d: Int)) -> Bool {
        r / (p.b * p.d) == col / (p.c * p.d) && r % p.d == col % p.d
    }

    /// The Kronecker-sparse pattern (a, b, c, d) — support I_a ⊗ 1_{b×c} ⊗ I_d: entry
    /// (i_a·b·d + i_b·d + i_d, i_a·c·d + i_c·d + i_d), with a·b·d rows and a·c·d columns — whose support holds every
    /// non-zero entry and is the smallest such (the largest a·d; among equal a·d, the largest a). Stored zeros need
    /// not lie in the support (they stay zero). Returns nil if a dimension is 0 or if the smallest fitting support has
    /// more than ``maxKroneckerSupport(entries:)`` positions (twice the stored entries).
    ///
    /// Butterfly factors get their own pattern back (e.g. (2^(ℓ−1), 2, 2, N/2^ℓ) for factor ℓ of a square-dyadic
    /// chain of size N), dense matrices (1, rows, columns, 1).
    ///
    /// Complexity: O(D·nnz) at worst for D candidate patterns (pairs of divisors of gcd(rows, columns)); a wrong
    /// candidate usually fails on its first entries.
    public func kroneckerPattern() -> (a: Int, b: Int, c: Int, d: Int)? {
        guard rowCount > 0, columnCount > 0 else { return nil }
        func divisors(_ n: Int) -> [Int] {
            var small: [Int] = [], large: [Int] = []
            var i = 1
            while i * i <= n {
                if n % i == 0 {
                    small.append(i)
                    if i * i != n { large.append(n / i) }
                }
                i += 1
            }
            return small + large.reversed()
        }
        func gcd(_ x: Int, _ y: Int) -> Int { y == 0 ? x : gcd(y, x % y) }
        var candidates: [(a: Int, b: Int, c: Int, d: Int)] = []
        for a in divisors(gcd(rowCount, columnCount)) {
            for d in divisors(gcd(rowCount / a, columnCount / a)) {
                candidates.append((a, rowCount / (a * d), columnCount / (a * d), d))
            }
        }
        candidates.sort { ($0.a * $0.d, $0.a) > ($1.a * $1.d, $1.a) }
        let nonZero = (0..<entryCount).filter { values[$0] != 0 }
        let limit = Self.maxKroneckerSupport(entries: entryCount)
        for p in candidates where nonZero.allSatisfy({ Self.inSupport(rows[$0], columns[$0], p) }) {
            // a·b·c·d = rows·columns/(a·d), without overflow: rows/(a·d)·columns with rows/(a·d) = b (exact).
            let (support, overflow) = p.b.multipliedReportingOverflow(by: columnCount)
            return overflow || support > limit ? nil : p
        }
        return nil  // unreachable: the dense pattern (1, rows, columns, 1) always fits
    }
}
