extension SparseChain {
    /// Right-to-left diagonal rescaling: Algorithm 7.3 of hal-04125381 on the transposed chain B_{L−1}ᵀ⋯B₀ᵀ —
    /// per row of B_{L−1}, …, B₂ the best-cosine x̂ with its scale μ pushed into the matching column of the
    /// previous factor, then the first pair (B₀, B₁) optimally — transposed back; the same steps, tie-breaks and
    /// limits as ``leftToRight(_:grid:threads:)``. One factor (or an empty product): round to nearest.
    ///
    /// Its contract is the butterfly method's (`scalequant butterfly --method r2l`): every factor must have a
    /// Kronecker-sparse support (``SparseMatrix/kroneckerPattern()``: butterfly, Monarch, block-diagonal, dense…;
    /// any entry order, missing support positions are zeros), and the first pair must split into disjoint rank-one
    /// terms (it is solved exactly; left-to-right instead falls back to rounding for an overlapping last pair).
    ///
    /// - Complexity: as ``leftToRight(_:grid:threads:)``, plus the pattern recognition (O(D·nnz) at worst).
    /// - Returns: the factors (same entries, same order) and the number of rank-one problems solved.
    /// - Throws: ``SparseFactorError/notKroneckerSparse(factor:rows:columns:)``,
    ///   ``SparseFactorError/overlappingTerms(pair:first:second:row:column:)`` for (B₀, B₁),
    ///   ``SparseFactorError/tooExpensive(_:)`` (naming the caller's factor and row), shape errors.
    public static func rightToLeft(_ factors: [SparseMatrix], grid: any NumberGrid, threads: Int? = nil) throws
        -> (factors: [SparseMatrix], problems: Int) {
        try validate(factors)
        // One factor, or an empty product (a zero dimension): nothing to rescale.
        if factors.count == 1 || factors.contains(where: { $0.rowCount == 0 || $0.columnCount == 0 }) {
            return (factors.map { roundToNearest($0, grid) }, 0)
        }
        for (k, f) in factors.enumerated() where f.kroneckerPattern() == nil {
            throw SparseFactorError.notKroneckerSparse(factor: k, rows: f.rowCount, columns: f.columnCount)
        }
        _ = try disjointTerms(factors[0], factors[1], pairIndex: 0)
        let t = try leftToRight(factors.reversed().map { $0.transposed() }, grid: grid, threads: threads,
                                places: Places(count: factors.count, transposed: true))
        return (t.factors.reversed().map { $0.transposed() }, t.problems)
    }
}
