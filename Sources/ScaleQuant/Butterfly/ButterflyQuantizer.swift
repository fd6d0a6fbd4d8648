/// Quantization of butterfly chains to a grid by rescaling invariance (hal-04125381, Algorithms 7.1–7.3;
/// docs/Butterfly.md §4): `scalequant butterfly`'s entry to the one sparse-chain quantizer, ``SparseChain``.
///
/// The chain is handed over as sparse factors (``KSFactor/sparseMatrix()``: every support position, in value
/// order) and read back, so the command line and `sq_quantize_factors` (Python's `quantize_factors`) give the same
/// answer, bit for bit, for every method; independent rank-one problems run on `threads` threads (`nil`:
/// ``Parallelism/threads``), and results do not depend on the thread count.
public enum ButterflyQuantizer {
    /// The chain quantized with `method`; every value of every factor is a grid value.
    ///
    /// - Complexity: ``SparseChain``'s: N·L small rank-one problems for a square-dyadic chain of size N.
    /// - Throws: ``ButterflyError/notFinite(_:)`` if a value is NaN or infinite; ``SparseFactorError`` as
    ///   ``SparseChain/quantize(_:grid:method:computeError:threads:)``.
    public static func quantize(_ chain: ButterflyChain, grid: any NumberGrid, method: SparseChain.Method,
                                threads: Int? = nil) throws -> ButterflyChain {
        guard chain.isFinite else { throw ButterflyError.notFinite("the chain has NaN or infinite values") }
        let r = try SparseChain.quantize(chain.factors.map { $0.sparseMatrix() }, grid: grid, method: method,
                                         computeError: false, threads: threads)
        var out = chain
        for k in out.factors.indices { out.factors[k].values = r.factors[k].values }
        return out
    }

    /// Every factor rounded to nearest.
    ///
    /// Complexity: O(Σ nnz).
    public static func roundToNearest(_ chain: ButterflyChain, grid: any NumberGrid) -> ButterflyChain {
        var c = chain
        for k in c.factors.indices { c.factors[k].values = grid.round(c.factors[k].values) }
        return c
    }
}

/// The chain quantization methods under their butterfly name (``SparseChain/Method``: one enum for the command line,
/// the C interface and Python).
public typealias ButterflyMethod = SparseChain.Method

extension KSFactor {
    /// The factor as a sparse matrix storing every support position, entry k being value k (``KSFactor``'s order).
    ///
    /// Complexity: O(nnz).
    public func sparseMatrix() -> SparseMatrix {
        var rows = [Int](), columns = [Int]()
        rows.reserveCapacity(values.count); columns.reserveCapacity(values.count)
        for ia in 0..<a { for ib in 0..<b { for ic in 0..<c { for id in 0..<d {
            rows.append(ia * b * d + ib * d + id)
            columns.append(ia * c * d + ic * d + id)
        } } } }
        return SparseMatrix(validRowCount: rowCount, columnCount: columnCount, rows: rows, columns: columns,
                            values: values)
    }
}
