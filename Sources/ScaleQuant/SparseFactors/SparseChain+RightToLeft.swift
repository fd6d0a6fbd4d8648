extension SparseChain {
    /// Right-to-left quantization of a chain of Kronecker-sparse factors: the butterfly module's method
    /// (``ButterflyQuantizer/quantize(_:grid:method:threads:)`` with ``ButterflyMethod/rightToLeft``, i.e.
    /// Algorithm 7.3 of hal-04125381 on the transposed chain: B_{L−1}, …, B₂ rounded one at a time by rows with the
    /// scales pushed left, then the first pair (B₀, B₁) optimally), with the same result.
    ///
    /// Each factor's support is recognized with ``SparseMatrix/kroneckerPattern()`` (any sparse storage of a
    /// butterfly factor works, e.g. scipy.sparse or pyfaust factors; missing support positions are zeros) and the
    /// chain is converted to a ``ButterflyChain``. One factor: round to nearest.
    ///
    /// - Returns: the factors (same entries, same order) and the number of rank-one problems solved.
    /// - Throws: ``SparseFactorError/notKroneckerSparse(factor:rows:columns:)`` if a factor has no Kronecker-sparse
    ///   support; ``SparseFactorError/overlappingTerms(pair:first:second:row:column:)`` if the rank-one terms of
    ///   (B₀, B₁) overlap (the first pair would not be solved exactly); ``SparseFactorError/tooExpensive(_:)`` for
    ///   a rank-one step beyond ``RankOneLimits`` (checked before every step); shape errors.
    public static func rightToLeft(_ factors: [SparseMatrix], grid: any NumberGrid) throws
        -> (factors: [SparseMatrix], problems: Int) {
        try validate(factors)
        let rtn = factors.map { $0.replacingValues(grid.round($0.values)) }
        // One factor, or an empty product (a zero dimension): nothing to rescale.
        if factors.count == 1 || factors.contains(where: { $0.rowCount == 0 || $0.columnCount == 0 }) {
            return (rtn, 0)
        }
        var patterns: [(a: Int, b: Int, c: Int, d: Int)] = []
        for (k, f) in factors.enumerated() {
            guard let p = f.kroneckerPattern() else {
                throw SparseFactorError.notKroneckerSparse(factor: k, rows: f.rowCount, columns: f.columnCount)
            }
            patterns.append(p)
        }
        _ = try disjointTerms(factors[0], factors[1], pairIndex: 0)
        let chain = try ButterflyChain(factors: zip(factors, patterns).map { try $0.kroneckerFactor($1) })
        let count = factors.count
        let transposed: (chain: ButterflyChain, problems: Int)
        do {
            transposed = try ButterflyQuantizer.leftToRightCounted(chain.transposed(), grid: grid, checkingLimits: true)
        } catch SparseFactorError.tooExpensive(let message) {
            throw SparseFactorError.tooExpensive(
                "r2l (left to right on the transposed chain, whose factor k is factor \(count - 1) − k transposed): "
                    + message)
        }
        let quantized = transposed.chain.transposed()
        let out = (0..<count).map { factors[$0].replacingValues(from: quantized.factors[$0], pattern: patterns[$0]) }
        return (out, transposed.problems)
    }
}
