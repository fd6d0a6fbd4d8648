/// Quantization of a chain of sparse factors B₀·B₁⋯B_{L−1} by rescaling invariance (R. Gribonval, T. Mary,
/// E. Riccietti, hal-04125381, §7, Algorithms 7.1–7.3; docs/Theory.md §3): the one implementation behind
/// `scalequant butterfly` (``ButterflyQuantizer``, Kronecker-sparse factors) and `sq_quantize_factors`, hence
/// Python's `quantize_factors` (factors of any sparsity pattern).
///
/// What it optimizes: for consecutive factors X, Y, XY = Σᵢ X[:,i]·Y[i,:]. When these rank-one terms have pairwise
/// disjoint supports (checked), ‖XY − X̂Ŷ‖²_F = Σᵢ ‖xᵢyᵢᵀ − x̂ᵢŷᵢᵀ‖²_F, so quantizing the pair jointly is exactly
/// one rank-one problem per term (Algorithm 7.1), each solved optimally over the grid by ``RankOne``.
/// - ``Method/rtn``: every factor rounded to nearest.
/// - ``Method/pairwise`` (Algorithm 7.2): pairs (B₀,B₁), (B₂,B₃), …, each optimal; an odd last factor is rounded
///   to nearest. Throws ``SparseFactorError/overlappingTerms(pair:first:second:row:column:)`` if a pair does not
///   split.
/// - ``Method/leftToRight`` (Algorithm 7.3): for k = 0…L−3, per column i of B_k (its rows already scaled), x̂ =
///   Q(λx) maximizing the cosine with x = B_k[:,i] (the rest of the chain is kept exact), and row i of B_{k+1} is
///   multiplied by μᵢ = x·x̂/‖x̂‖² (0 for a column without non-zero values, whose row does not reach the product);
///   the last pair is solved pairwise. If the last pair does not split, its left factor is treated like the
///   others and the last factor is rounded to nearest (``Result/lastPairOptimal`` is then false).
/// - ``Method/rightToLeft``: left-to-right on the transposed chain, transposed back (``rightToLeft(_:grid:threads:)``).
///
/// Ties between equally good answers (x̂ and s·x̂ for a left step, (s·x̂, ŷ/s) for a term) are broken by the one
/// rule of `RankOne/CanonicalScaling.swift`, so the answer depends on the chain only: not on the order of the
/// stored entries, on the solver's path (F_p shortcut or bounded sweep) or on the thread count. Only non-zero
/// values take part: a stored zero rounds to zero under any scaling.
///
/// Complexity: one rank-one problem per column (left steps) or per term (pairs) on its non-zero entries,
/// O(m·k·log(m·k)) each for m entries and k rounding boundaries per binade (2^(p−1) for a p-bit float format) —
/// N·L problems of size 2 for a square-dyadic butterfly of size N — plus O(nnz) per step and, for a pair, the
/// disjointness check in O(Σᵢ |X[:,i]|·|Y[i,:]|). The problems of a step run on `threads` threads (`nil`:
/// ``Parallelism/threads``).
public enum SparseChain {
    /// A quantization method; `code` is the number used by the C interface, the raw value the command line's name.
    public enum Method: String, Sendable, CaseIterable, CustomStringConvertible {
        /// Round to nearest, factor by factor.
        case rtn
        /// Optimal pairs (B₀,B₁), (B₂,B₃), …
        case pairwise
        /// Left-to-right diagonal rescaling, last pair optimal.
        case leftToRight = "l2r"
        /// Right-to-left diagonal rescaling, first pair optimal (Kronecker-sparse factors).
        case rightToLeft = "r2l"

        /// The C interface's code: 0 rtn, 1 pairwise, 2 l2r, 3 r2l.
        public var code: Int32 { Int32(Method.allCases.firstIndex(of: self)!) }

        /// The method with this C code, if any.
        public init?(code: Int32) {
            guard code >= 0, code < Method.allCases.count else { return nil }
            self = Method.allCases[Int(code)]
        }

        /// The command-line name (`rtn`, `pairwise`, `l2r`, `r2l`).
        public var description: String { rawValue }
    }

    /// The quantized chain and its errors.
    public struct Result: Sendable {
        /// The quantized factors: same shapes, same entries in the same order, values on the grid.
        public var factors: [SparseMatrix]
        /// ‖ΠB − ΠB̂‖_F / ‖ΠB‖_F.
        public var relativeError: Double
        /// The same error for round-to-nearest.
        public var rtnRelativeError: Double
        /// True if the errors were computed from the dense product, false if estimated with random probes.
        public var errorIsExact: Bool
        /// Number of rank-one problems solved (pairs' terms and left-to-right columns).
        public var rankOneProblems: Int
        /// False when left-to-right had to fall back because its last pair did not split into rank-one terms.
        public var lastPairOptimal: Bool
    }

    /// Products with at most this many rows and columns get an exact (dense) error.
    public static let denseErrorLimit = 4096
    /// Number of Gaussian probes for the error of larger products.
    public static let errorProbes = 32
    /// Seed of the probes (fixed, so results are reproducible).
    public static let errorSeed: UInt64 = 0x5CA1E

    /// Checks that consecutive shapes agree.
    ///
    /// - Throws: ``SparseFactorError/emptyChain`` or ``SparseFactorError/shapeMismatch(index:columns:nextRows:)``.
    public static func validate(_ factors: [SparseMatrix]) throws {
        guard !factors.isEmpty else { throw SparseFactorError.emptyChain }
        for k in 0..<(factors.count - 1) where factors[k].columnCount != factors[k + 1].rowCount {
            throw SparseFactorError.shapeMismatch(index: k, columns: factors[k].columnCount,
                                                  nextRows: factors[k + 1].rowCount)
        }
    }

    /// Quantizes the chain with `method` on `grid` and, with `computeError`, measures the product error
    /// (``relativeErrors(original:candidates:)``; NaN otherwise).
    ///
    /// - Throws: ``SparseFactorError`` for an invalid chain, (pairwise, r2l) a pair that does not split, (r2l) a
    ///   factor that is not Kronecker-sparse, or (``SparseFactorError/tooExpensive(_:)``) a rank-one step beyond
    ///   the solver's limits, named by factor and column, row or term.
    public static func quantize(_ factors: [SparseMatrix], grid: any NumberGrid, method: Method,
                                computeError: Bool = true, threads: Int? = nil) throws -> Result {
        try validate(factors)
        let rtn = factors.map { roundToNearest($0, grid) }
        var quantized = rtn
        var problems = 0
        var lastPairOptimal = true
        switch method {
        case .rtn: break
        case .pairwise: (quantized, problems) = try pairwise(factors, grid: grid, threads: threads)
        case .leftToRight:
            (quantized, problems, lastPairOptimal) = try leftToRight(factors, grid: grid, threads: threads)
        case .rightToLeft: (quantized, problems) = try rightToLeft(factors, grid: grid, threads: threads)
        }
        var result = Result(factors: quantized, relativeError: .nan, rtnRelativeError: .nan, errorIsExact: true,
                            rankOneProblems: problems, lastPairOptimal: lastPairOptimal)
        if computeError {
            let e = relativeErrors(original: factors, candidates: [quantized, rtn])
            result.relativeError = e.errors[0]
            result.rtnRelativeError = e.errors[1]
            result.errorIsExact = e.exact
        }
        return result
    }

    /// The factor rounded to nearest.
    static func roundToNearest(_ m: SparseMatrix, _ grid: any NumberGrid) -> SparseMatrix {
        m.replacingValues(grid.round(m.values))
    }

    /// Pairwise quantization: each pair (B₀,B₁), (B₂,B₃), … optimally; an odd last factor rounded to nearest.
    ///
    /// - Returns: the factors and the number of rank-one problems solved.
    /// - Throws: ``SparseFactorError/overlappingTerms(pair:first:second:row:column:)``,
    ///   ``SparseFactorError/tooExpensive(_:)``.
    public static func pairwise(_ factors: [SparseMatrix], grid: any NumberGrid, threads: Int? = nil) throws
        -> (factors: [SparseMatrix], problems: Int) {
        try validate(factors)
        var out = factors
        var problems = 0
        var k = 0
        while k + 1 < factors.count {
            let (x, y, n) = try quantizePair(factors[k], factors[k + 1], pair: k, grid: grid, threads: threads,
                                             places: Places(count: factors.count))
            out[k] = x
            out[k + 1] = y
            problems += n
            k += 2
        }
        if k < factors.count { out[k] = roundToNearest(factors[k], grid) }
        return (out, problems)
    }

    /// Left-to-right diagonal rescaling (Algorithm 7.3, for arbitrary sparse factors).
    ///
    /// - Returns: the factors, the number of rank-one problems, and whether the last pair was solved optimally.
    /// - Throws: ``SparseFactorError/tooExpensive(_:)``.
    public static func leftToRight(_ factors: [SparseMatrix], grid: any NumberGrid, threads: Int? = nil) throws
        -> (factors: [SparseMatrix], problems: Int, lastPairOptimal: Bool) {
        try validate(factors)
        return try leftToRight(factors, grid: grid, threads: threads, places: Places(count: factors.count))
    }

    /// ``leftToRight(_:grid:threads:)`` on a validated chain, naming places with `places`.
    static func leftToRight(_ factors: [SparseMatrix], grid: any NumberGrid, threads: Int?, places: Places) throws
        -> (factors: [SparseMatrix], problems: Int, lastPairOptimal: Bool) {
        let count = factors.count
        if count == 1 { return ([roundToNearest(factors[0], grid)], 0, true) }
        var out = factors
        var problems = 0
        for k in 0..<(count - 2) {
            let (x, mu, n) = try leftStep(out[k], factor: k, grid: grid, threads: threads, places: places)
            out[k] = x
            out[k + 1] = try scaleRows(out[k + 1], by: mu, factor: k + 1, places: places)
            problems += n
        }
        do {
            let (x, y, n) = try quantizePair(out[count - 2], out[count - 1], pair: count - 2, grid: grid,
                                             threads: threads, places: places)
            out[count - 2] = x
            out[count - 1] = y
            return (out, problems + n, true)
        } catch SparseFactorError.overlappingTerms {
            let (x, mu, n) = try leftStep(out[count - 2], factor: count - 2, grid: grid, threads: threads,
                                          places: places)
            out[count - 2] = x
            out[count - 1] = roundToNearest(try scaleRows(out[count - 1], by: mu, factor: count - 1, places: places),
                                            grid)
            return (out, problems + n, false)
        }
    }

    /// How the steps name the places of the chain in error messages: right-to-left works on the transposed chain
    /// and names the caller's factors, rows and terms.
    struct Places {
        /// Number of factors.
        var count: Int
        /// Whether the chain worked on is the caller's, transposed and reversed.
        var transposed = false

        /// Factor k of the chain worked on.
        func factor(_ k: Int) -> String { "factor \(transposed ? count - 1 - k : k)" }
        /// Column i of factor k of the chain worked on.
        func column(_ k: Int, _ i: Int) -> String { factor(k) + (transposed ? " row \(i)" : " column \(i)") }
        /// Term i of the pair (k, k + 1) of the chain worked on.
        func term(_ pair: Int, _ i: Int) -> String {
            let first = transposed ? count - 2 - pair : pair
            return "factors \(first) and \(first + 1), term \(i)"
        }
    }

    /// The left step on factor `m`: per column i with a non-zero value, x̂ = Q(λx) with the best cosine to x
    /// (``RankOne/quantizeKeepingY(x:grid:)``), its canonical member (``canonicalVector(_:input:_:)``), and
    /// μᵢ = x·x̂/‖x̂‖² to push into row i of the next factor (0 for the other columns).
    ///
    /// - Returns: the quantized factor, the scales μ, and the number of rank-one problems (columns solved).
    static func leftStep(_ m: SparseMatrix, factor k: Int, grid: any NumberGrid, threads: Int?, places: Places) throws
        -> (SparseMatrix, mu: [Double], problems: Int) {
        let (starts, order) = m.columnIndex()
        var values = m.values
        var mu = [Double](repeating: 0, count: m.columnCount)
        let failures = values.withUnsafeMutableBufferPointer { out in
            mu.withUnsafeMutableBufferPointer { scales in
                parallelMap(m.columnCount, threads: threads) { j -> Error? in
                    let entries = order[starts[j]..<starts[j + 1]].filter { m.values[$0] != 0 }
                    guard !entries.isEmpty else { return nil }
                    let x = entries.map { m.values[$0] }
                    do {
                        let r = try RankOne.quantizeKeepingY(x: x, grid: grid, parallel: false)
                        let xh = canonicalVector(r.xHat, input: x, grid)
                        var num = 0.0, den = 0.0
                        for t in x.indices { num += x[t] * xh[t]; den += xh[t] * xh[t] }
                        for (t, e) in entries.enumerated() { out[e] = xh[t] }
                        scales[j] = den > 0 ? num / den : 0
                        return nil
                    } catch { return error }
                }
            }
        }
        try rethrowFirst(failures) { places.column(k, $0) }
        let solved = (0..<m.columnCount).filter { j in order[starts[j]..<starts[j + 1]].contains { m.values[$0] != 0 } }
        return (m.replacingValues(values), mu, solved.count)
    }

    /// Row i multiplied by `mu[i]`.
    ///
    /// - Throws: ``SparseFactorError/tooExpensive(_:)`` if a product overflows.
    static func scaleRows(_ m: SparseMatrix, by mu: [Double], factor k: Int, places: Places) throws -> SparseMatrix {
        let values = (0..<m.entryCount).map { m.values[$0] * mu[m.rows[$0]] }
        guard values.allSatisfy(\.isFinite) else {
            throw SparseFactorError.tooExpensive("\(places.factor(k)): its values times the scales pushed from the "
                + "previous factor overflow binary64 (the chain's magnitudes are beyond 2^±1024)")
        }
        return m.replacingValues(values)
    }

    /// Solves the pair (X, Y) as independent rank-one problems X[:,i]·Y[i,:] (canonical pairs,
    /// ``canonicalPair(_:_:_:_:lastGrid:)``), after checking that their supports are disjoint. Values of X[:,i]
    /// whose Y[i,:] is zero (and vice versa) do not affect the product and are rounded to nearest.
    ///
    /// - Throws: ``SparseFactorError/overlappingTerms(pair:first:second:row:column:)``,
    ///   ``SparseFactorError/tooExpensive(_:)``.
    static func quantizePair(_ x: SparseMatrix, _ y: SparseMatrix, pair: Int, grid: any NumberGrid, threads: Int?,
                             places: Places) throws -> (SparseMatrix, SparseMatrix, problems: Int) {
        let (xTerm, yTerm) = try disjointTerms(x, y, pairIndex: pair)
        let terms = (0..<x.columnCount).filter { !xTerm[$0].isEmpty && !yTerm[$0].isEmpty }
        var xv = grid.round(x.values), yv = grid.round(y.values)
        let failures = xv.withUnsafeMutableBufferPointer { ox in
            yv.withUnsafeMutableBufferPointer { oy in
                parallelMap(terms.count, threads: threads) { t -> Error? in
                    let i = terms[t]
                    let xs = xTerm[i].map { x.values[$0] }, ys = yTerm[i].map { y.values[$0] }
                    do {
                        let w = try RankOne.solveWeighted(
                            a: xs, c: [Double](repeating: 1, count: xs.count), b: ys,
                            d: [Double](repeating: 1, count: ys.count), gridX: grid, gridY: grid, parallel: false)
                        let (xh, yh) = canonicalPair(w.xHat, w.yHat, grid, grid)
                        for (s, e) in xTerm[i].enumerated() { ox[e] = xh[s] }
                        for (s, e) in yTerm[i].enumerated() { oy[e] = yh[s] }
                        return nil
                    } catch { return error }
                }
            }
        }
        try rethrowFirst(failures) { places.term(pair, terms[$0]) }
        return (x.replacingValues(xv), y.replacingValues(yv), terms.count)
    }

    /// Throws the failure of the first problem (in index order, so the same whatever the thread count): a
    /// ``RankOneError`` as ``SparseFactorError/tooExpensive(_:)`` prefixed with the problem's place, others as is.
    static func rethrowFirst(_ failures: [Error?], place: (Int) -> String) throws {
        guard let t = failures.firstIndex(where: { $0 != nil }), let error = failures[t] else { return }
        if let e = error as? RankOneError { throw SparseFactorError.tooExpensive("\(place(t)): \(e.description)") }
        throw error
    }

    /// The non-zero entries of each rank-one term of the pair (X, Y): for every inner index i, the entry indices of
    /// X[:,i] and of Y[i,:] (in row, resp. column order), after checking that the terms with both parts non-zero
    /// have pairwise disjoint supports in the product.
    ///
    /// - Throws: ``SparseFactorError/overlappingTerms(pair:first:second:row:column:)``.
    static func disjointTerms(_ x: SparseMatrix, _ y: SparseMatrix, pairIndex: Int) throws
        -> (xTerm: [[Int]], yTerm: [[Int]]) {
        let (cs, co) = x.columnIndex(), (rs, ro) = y.rowIndex()
        let inner = x.columnCount
        var xTerm = [[Int]](repeating: [], count: inner), yTerm = [[Int]](repeating: [], count: inner)
        for i in 0..<inner {
            xTerm[i] = co[cs[i]..<cs[i + 1]].filter { x.values[$0] != 0 }
            yTerm[i] = ro[rs[i]..<rs[i + 1]].filter { y.values[$0] != 0 }
        }
        // Disjointness: every product position is claimed by at most one term. Row by row of the product, the
        // terms touching row r stamp the columns of their Y[i,:]; a column stamped twice for the same r is shared.
        // O(Σᵢ |X[:,i]|·|Y[i,:]|) array operations (the product's flop count), no hashing.
        let active = (0..<inner).map { !xTerm[$0].isEmpty && !yTerm[$0].isEmpty }
        let (xrs, xro) = x.rowIndex()
        var stamp = [Int](repeating: -1, count: y.columnCount), owner = [Int](repeating: -1, count: y.columnCount)
        for r in 0..<x.rowCount {
            for ex in xro[xrs[r]..<xrs[r + 1]] where x.values[ex] != 0 {
                let i = x.columns[ex]
                guard active[i] else { continue }
                for ey in yTerm[i] {
                    let c = y.columns[ey]
                    if stamp[c] == r {
                        throw SparseFactorError.overlappingTerms(pair: pairIndex, first: owner[c], second: i,
                                                                 row: r, column: c)
                    }
                    stamp[c] = r
                    owner[c] = i
                }
            }
        }
        return (xTerm, yTerm)
    }
}
