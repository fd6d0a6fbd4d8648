/// A product B₁B₂⋯B_L of Kronecker-sparse factors (docs/Theory.md §3), applied right to left: `apply(x)` = B₁(B₂(⋯B_L x)).
public struct ButterflyChain: Sendable, Equatable {
    /// The factors, leftmost first.
    public var factors: [KSFactor]

    /// A chain of these factors.
    ///
    /// - Throws: ``ButterflyError/incompatible(_:)`` if the chain is empty or `factors[k].columnCount` ≠
    ///   `factors[k+1].rowCount`.
    public init(factors: [KSFactor]) throws {
        guard !factors.isEmpty else { throw ButterflyError.incompatible("a chain needs at least one factor") }
        for k in 0..<(factors.count - 1) where factors[k].columnCount != factors[k + 1].rowCount {
            throw ButterflyError.incompatible(
                "factor \(k) has \(factors[k].columnCount) columns but factor \(k + 1) has \(factors[k + 1].rowCount) rows")
        }
        self.factors = factors
    }

    /// Rows of the product.
    public var rowCount: Int { factors[0].rowCount }
    /// Columns of the product.
    public var columnCount: Int { factors[factors.count - 1].columnCount }
    /// Total stored values over all factors.
    public var nonzeroCount: Int { factors.reduce(0) { $0 + $1.nonzeroCount } }

    /// The product times a dense `columnCount` × `k` matrix (row-major).
    ///
    /// Complexity: O(k·Σ nnz(B_ℓ)).
    public func apply(matrix x: [Double], columns k: Int) -> [Double] {
        var y = x
        for f in factors.reversed() { y = f.apply(matrix: y, columns: k) }
        return y
    }

    /// The product times a vector.
    ///
    /// Complexity: O(Σ nnz(B_ℓ)).
    public func apply(_ x: [Double]) -> [Double] { apply(matrix: x, columns: 1) }

    /// The transposed chain B_Lᵀ⋯B₁ᵀ.
    public func transposed() -> ButterflyChain {
        // Transposes of a compatible chain, reversed, are compatible.
        try! ButterflyChain(factors: factors.reversed().map { $0.transposed() })
    }

    /// The dense product, `rowCount` × `columnCount`, row-major, computed as B₁(⋯(B_L·I)).
    ///
    /// Complexity: O(columnCount·Σ nnz(B_ℓ)) — O(N²·2L) for a square-dyadic chain of size N.
    public func dense() -> [Double] {
        let n = columnCount
        var id = [Double](repeating: 0, count: n * n)
        for i in 0..<n { id[i * n + i] = 1 }
        return apply(matrix: id, columns: n)
    }

    /// Whether every factor value is finite.
    public var isFinite: Bool { factors.allSatisfy(\.isFinite) }

    /// log₂ N for N = 2^L ≥ 2, or nil.
    public static func log2(_ n: Int) -> Int? {
        guard n >= 2, n & (n - 1) == 0 else { return nil }
        return n.trailingZeroBitCount
    }

    /// The square-dyadic patterns of size N = 2^L: factor ℓ (1-based) has (2^(ℓ−1), 2, 2, N/2^ℓ). Factor 1
    /// couples indices i and i + N/2, factor L couples 2i and 2i + 1 (lazylinop's `Chain.square_dyadic`).
    ///
    /// - Throws: ``ButterflyError/badSize(_:)`` unless N is a power of two ≥ 2.
    public static func squareDyadicPatterns(_ n: Int) throws -> [(Int, Int, Int, Int)] {
        guard let l = log2(n) else { throw ButterflyError.badSize("size \(n) is not a power of two ≥ 2") }
        return (1...l).map { (1 << ($0 - 1), 2, 2, n >> $0) }
    }

    /// The square-dyadic chain of size N with all values zero.
    public static func squareDyadic(_ n: Int) throws -> ButterflyChain {
        try ButterflyChain(factors: squareDyadicPatterns(n).map { try KSFactor(zerosWithPattern: $0) })
    }

    /// Whether the factors have exactly the square-dyadic patterns of size `rowCount`.
    public var isSquareDyadic: Bool {
        guard rowCount == columnCount, let pats = try? Self.squareDyadicPatterns(rowCount),
              pats.count == factors.count else { return false }
        return zip(pats, factors).allSatisfy { $0.0 == $0.1.pattern }
    }

    /// The two-factor Monarch chain ((1, p, q, N/p), (q, N/p, N/q, 1)) with zero values (lazylinop's
    /// `Chain.monarch((N, N), p, q)`).
    ///
    /// - Throws: ``ButterflyError/badSize(_:)`` unless p and q divide N.
    public static func monarch(_ n: Int, p: Int, q: Int) throws -> ButterflyChain {
        guard n > 0, p > 0, q > 0, n % p == 0, n % q == 0 else {
            throw ButterflyError.badSize("monarch: p = \(p) and q = \(q) must divide N = \(n)")
        }
        return try ButterflyChain(factors: [KSFactor(zerosWithPattern: (1, p, q, n / p)),
                                            KSFactor(zerosWithPattern: (q, n / p, n / q, 1))])
    }

    /// A square-dyadic chain of size N with i.i.d. standard Gaussian values from `SeededGenerator(seed:)`, factor 1
    /// first.
    public static func random(_ n: Int, seed: UInt64) throws -> ButterflyChain {
        var rng = SeededGenerator(seed: seed)
        var chain = try squareDyadic(n)
        for k in chain.factors.indices { chain.factors[k].values = rng.gaussians(chain.factors[k].nonzeroCount) }
        return chain
    }

    /// The Sylvester–Hadamard matrix H_N = H₂ ⊗ ⋯ ⊗ H₂ as a square-dyadic chain with ±1 entries: every factor is
    /// I ⊗ H₂ ⊗ I with H₂ = [[1, 1], [1, −1]]. These factors commute, so their product is H_N in any order.
    public static func hadamard(_ n: Int) throws -> ButterflyChain { try hadamardLike(n, scale: 1) }

    /// The orthonormal Walsh–Hadamard transform H_N/√N: the Hadamard chain with entries ±1/√2.
    public static func walshHadamard(_ n: Int) throws -> ButterflyChain { try hadamardLike(n, scale: 0.5.squareRoot()) }

    private static func hadamardLike(_ n: Int, scale: Double) throws -> ButterflyChain {
        var chain = try squareDyadic(n)
        for k in chain.factors.indices {
            let f = chain.factors[k]
            for ia in 0..<f.a {
                for ib in 0..<2 {
                    for ic in 0..<2 {
                        for id in 0..<f.d {
                            chain.factors[k].values[f.valueIndex(ia, ib, ic, id)] = (ib == 1 && ic == 1) ? -scale : scale
                        }
                    }
                }
            }
        }
        return chain
    }
}
