/// Quantization of a chain of arbitrary sparse factors B₀·B₁⋯B_{L−1} by rescaling invariance (docs/Theory.md §3, for
/// factors of any sparsity pattern, not only Kronecker-sparse butterflies).
///
/// For consecutive factors X, Y: XY = Σᵢ X[:,i]·Y[i,:]. When these rank-one terms have pairwise disjoint supports
/// (checked), quantizing the pair jointly is exactly a set of independent rank-one problems (hal-04125381,
/// Algorithm 7.1), each solved optimally by ``RankOne/quantize(x:y:grid:gridY:)``.
/// - ``Method/rtn``: every factor rounded to nearest.
/// - ``Method/pairwise``: pairs (B₀,B₁), (B₂,B₃), …, each optimal; an odd last factor is rounded to nearest.
///   Throws ``SparseFactorError/overlappingTerms(pair:first:second:row:column:)`` if a pair does not split.
/// - ``Method/leftToRight``: for k = 0…L−3, per column i of B_k, x̂ = Q(λx) maximizing the cosine with
///   x = B_k[:,i] (``RankOne/quantizeKeepingY(x:grid:)``; ties go to a power-of-two scale), and row i of B_{k+1} is multiplied by μᵢ = x·x̂/‖x̂‖²;
///   the last pair is solved pairwise. If the last pair does not split, its left factor is treated like the
///   others and the last factor is rounded to nearest (``Result/lastPairOptimal`` is then false).
/// - ``Method/rightToLeft``: the butterfly module's right-to-left method (``ButterflyQuantizer``, Algorithm 7.3 on
///   the transposed chain), for chains of Kronecker-sparse factors only (see ``rightToLeft(_:grid:)``).
///
/// Only non-zero values take part: a stored zero rounds to zero under any scaling.
public enum SparseChain {
    /// A quantization method; `code` is the number used by the C interface.
    public enum Method: String, Sendable, CaseIterable {
        /// Round to nearest, factor by factor.
        case rtn
        /// Optimal pairs (B₀,B₁), (B₂,B₃), …
        case pairwise
        /// Left-to-right diagonal rescaling, last pair optimal.
        case leftToRight = "l2r"
        /// Right-to-left diagonal rescaling of a Kronecker-sparse (butterfly) chain, first pair optimal
        /// (``ButterflyMethod/rightToLeft``).
        case rightToLeft = "r2l"

        /// The C interface's code: 0 rtn, 1 pairwise, 2 l2r, 3 r2l.
        public var code: Int32 {
            switch self {
            case .rtn: return 0
            case .pairwise: return 1
            case .leftToRight: return 2
            case .rightToLeft: return 3
            }
        }

        /// The method with this C code, if any.
        public init?(code: Int32) {
            guard let m = Method.allCases.first(where: { $0.code == code }) else { return nil }
            self = m
        }
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

    /// Quantizes the chain with `method` on `grid` and measures the product error.
    ///
    /// - Throws: ``SparseFactorError`` for an invalid chain, (pairwise, r2l) a pair that does not split, (r2l) a
    ///   factor that is not Kronecker-sparse, or input beyond ``RankOneLimits``.
    public static func quantize(_ factors: [SparseMatrix], grid: any NumberGrid, method: Method,
                                computeError: Bool = true) throws -> Result {
        try validate(factors)
        let rtn = factors.map { $0.replacingValues(grid.round($0.values)) }
        var quantized: [SparseMatrix]
        var problems = 0
        var lastPairOptimal = true
        switch method {
        case .rtn:
            quantized = rtn
        case .pairwise:
            (quantized, problems) = try pairwise(factors, grid: grid)
        case .leftToRight:
            (quantized, problems, lastPairOptimal) = try leftToRight(factors, grid: grid)
        case .rightToLeft:
            (quantized, problems) = try rightToLeft(factors, grid: grid)
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

    /// Pairwise quantization: each pair (B₀,B₁), (B₂,B₃), … optimally; an odd last factor rounded to nearest.
    ///
    /// - Returns: the factors and the number of rank-one problems solved.
    /// - Throws: ``SparseFactorError/overlappingTerms(pair:first:second:row:column:)``.
    public static func pairwise(_ factors: [SparseMatrix], grid: any NumberGrid) throws
        -> (factors: [SparseMatrix], problems: Int) {
        try validate(factors)
        var out = factors
        var problems = 0
        var k = 0
        while k + 1 < factors.count {
            let (x, y, n) = try quantizePair(factors[k], factors[k + 1], pairIndex: k, grid: grid)
            out[k] = x
            out[k + 1] = y
            problems += n
            k += 2
        }
        if k < factors.count { out[k] = factors[k].replacingValues(grid.round(factors[k].values)) }
        return (out, problems)
    }

    /// Left-to-right diagonal rescaling (hal-04125381, Algorithm 7.3, for arbitrary sparse factors).
    ///
    /// - Returns: the factors, the number of rank-one problems, and whether the last pair was solved optimally.
    public static func leftToRight(_ factors: [SparseMatrix], grid: any NumberGrid) throws
        -> (factors: [SparseMatrix], problems: Int, lastPairOptimal: Bool) {
        try validate(factors)
        let count = factors.count
        if count == 1 { return ([factors[0].replacingValues(grid.round(factors[0].values))], 0, true) }
        var out = factors
        var problems = 0
        for k in 0..<(count - 2) {
            let (x, mu, n) = try quantizeColumnsKeepingNext(out[k], grid: grid)
            out[k] = x
            out[k + 1] = scaleRows(out[k + 1], by: mu)
            problems += n
        }
        do {
            let (x, y, n) = try quantizePair(out[count - 2], out[count - 1], pairIndex: count - 2, grid: grid)
            out[count - 2] = x
            out[count - 1] = y
            return (out, problems + n, true)
        } catch SparseFactorError.overlappingTerms {
            let (x, mu, n) = try quantizeColumnsKeepingNext(out[count - 2], grid: grid)
            out[count - 2] = x
            let last = scaleRows(out[count - 1], by: mu)
            out[count - 1] = last.replacingValues(grid.round(last.values))
            return (out, problems + n, false)
        }
    }

    /// Per column i: x̂ = Q(λx) with the best cosine; returns the new factor and the μᵢ to push into row i of the
    /// next factor (1 for columns without non-zero values).
    static func quantizeColumnsKeepingNext(_ m: SparseMatrix, grid: any NumberGrid) throws
        -> (SparseMatrix, mu: [Double], problems: Int) {
        let (starts, order) = m.columnIndex()
        let columns = (0..<m.columnCount).filter { j in
            order[starts[j]..<starts[j + 1]].contains { m.values[$0] != 0 }
        }
        let solved = parallelMap(columns.count) { t -> Swift.Result<(xHat: [Double], mu: Double), Error> in
            let j = columns[t]
            let x = order[starts[j]..<starts[j + 1]].map { m.values[$0] }.filter { $0 != 0 }
            return Swift.Result { try bestCosine(x, grid: grid) }
        }
        var values = m.values
        var mu = [Double](repeating: 1, count: m.columnCount)
        for (t, j) in columns.enumerated() {
            let r = try solved[t].get()
            var s = 0
            for e in order[starts[j]..<starts[j + 1]] where m.values[e] != 0 {
                values[e] = r.xHat[s]
                s += 1
            }
            mu[j] = r.mu
        }
        return (m.replacingValues(values), mu, columns.count)
    }

    /// x̂ = Q(λx) with the largest cosine to x (``RankOne/quantizeKeepingY(x:grid:)``) and μ = x·x̂/‖x̂‖².
    ///
    /// Tie-break (our choice): if the candidate with λ = 1/max|xᵢ| (largest entry on 1, a power of two) has the same
    /// cosine up to 4 ulps, it is taken instead. When many scales are equally good (x with entries of equal
    /// magnitude, as in Hadamard factors), an arbitrary significand in x̂ would be pushed into the next factors,
    /// where no product of grid values can cancel it; a power of two can always be absorbed.
    static func bestCosine(_ x: [Double], grid: any NumberGrid) throws -> (xHat: [Double], mu: Double) {
        let r = try RankOneLimits.quantizeKeepingY(x: x, grid: grid)
        let peak = x.reduce(0) { Swift.max($0, abs($1)) }
        guard peak > 0, (1 / peak).isFinite else { return (r.xHat, r.mu) }
        let alternative = grid.round(x.map { $0 / peak })
        let (c0, mu0) = cosineAndScale(x, r.xHat), (c1, mu1) = cosineAndScale(x, alternative)
        if c1 >= c0 - 4 * Double.ulpOfOne, mu1.isFinite, mu1 > 0 { return (alternative, mu1) }
        return (r.xHat, mu0)
    }

    /// cos(x, x̂) and μ = x·x̂/‖x̂‖² (0 and 0 when x̂ = 0).
    static func cosineAndScale(_ x: [Double], _ xHat: [Double]) -> (Double, Double) {
        var dot = 0.0, nx = 0.0, nh = 0.0
        for i in 0..<x.count {
            dot += x[i] * xHat[i]
            nx += x[i] * x[i]
            nh += xHat[i] * xHat[i]
        }
        guard nh > 0, nx > 0 else { return (0, 0) }
        return (dot / (nx.squareRoot() * nh.squareRoot()), dot / nh)
    }

    /// Row i multiplied by `mu[i]`.
    static func scaleRows(_ m: SparseMatrix, by mu: [Double]) -> SparseMatrix {
        m.replacingValues((0..<m.entryCount).map { m.values[$0] * mu[m.rows[$0]] })
    }

    /// Solves the pair (X, Y) as independent rank-one problems X[:,i]·Y[i,:], after checking that their supports
    /// are disjoint. Values of X[:,i] whose Y[i,:] is zero (and vice versa) do not affect the product and are
    /// rounded to nearest.
    static func quantizePair(_ x: SparseMatrix, _ y: SparseMatrix, pairIndex: Int, grid: any NumberGrid) throws
        -> (SparseMatrix, SparseMatrix, problems: Int) {
        let (xTerm, yTerm) = try disjointTerms(x, y, pairIndex: pairIndex)
        let terms = (0..<x.columnCount).filter { !xTerm[$0].isEmpty && !yTerm[$0].isEmpty }
        let solved = parallelMap(terms.count) { t -> Swift.Result<RankOneResult, Error> in
            let i = terms[t]
            return Swift.Result {
                try RankOneLimits.quantize(x: xTerm[i].map { x.values[$0] }, y: yTerm[i].map { y.values[$0] },
                                           grid: grid)
            }
        }
        var xv = grid.round(x.values), yv = grid.round(y.values)
        for (t, i) in terms.enumerated() {
            let r = try solved[t].get()
            for (s, e) in xTerm[i].enumerated() { xv[e] = r.xHat[s] }
            for (s, e) in yTerm[i].enumerated() { yv[e] = r.yHat[s] }
        }
        return (x.replacingValues(xv), y.replacingValues(yv), terms.count)
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
