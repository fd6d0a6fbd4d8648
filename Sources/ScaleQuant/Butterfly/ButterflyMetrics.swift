/// Relative Frobenius errors of butterfly products (docs/Theory.md §3: ‖ΠB − ΠB̂‖_F / ‖ΠB‖_F).
public enum ButterflyMetrics {
    /// The largest size for which ``relativeError(_:_:probes:seed:)`` forms dense products (beyond it, it uses
    /// Gaussian probes).
    public static let denseLimit = 4096

    /// ‖A − B‖_F / ‖A‖_F for two row-major arrays of equal length (0 when both are 0, +inf when only A is).
    ///
    /// Complexity: O(count).
    public static func relativeError(_ reference: [Double], _ approximation: [Double]) -> Double {
        precondition(reference.count == approximation.count, "relativeError: length mismatch")
        var err = 0.0, ref = 0.0
        reference.withUnsafeBufferPointer { r in
            approximation.withUnsafeBufferPointer { q in
                for i in 0..<r.count {
                    let e = r[i] - q[i]
                    err += e * e
                    ref += r[i] * r[i]
                }
            }
        }
        if ref == 0 { return err == 0 ? 0 : .infinity }
        return (err / ref).squareRoot()
    }

    /// ‖A − ΠB‖_F / ‖A‖_F for a dense row-major A of the chain's size.
    ///
    /// Complexity: O(N²·L) for a square-dyadic chain.
    public static func relativeError(dense a: [Double], chain: ButterflyChain) -> Double {
        relativeError(a, chain.dense())
    }

    /// ‖ΠB − ΠB̂‖_F / ‖ΠB‖_F: exact through dense products when the size is at most ``denseLimit`` and `probes`
    /// is nil, otherwise the estimate ‖(ΠB − ΠB̂)W‖_F / ‖ΠB·W‖_F with W a `columnCount` × `probes` (default 64)
    /// matrix of seeded standard Gaussians. The dense products are formed in blocks of 64 columns of the identity
    /// on `threads` threads (`nil`: ``Parallelism/threads``), so memory stays O(N·64) per thread.
    ///
    /// Complexity: O(N·Σ nnz) dense, O(k·Σ nnz) with k probes.
    public static func relativeError(_ reference: ButterflyChain, _ approximation: ButterflyChain,
                                     probes: Int? = nil, seed: UInt64 = 0x5EED, threads: Int? = nil) -> Double {
        precondition(reference.rowCount == approximation.rowCount
                     && reference.columnCount == approximation.columnCount, "relativeError: sizes differ")
        let n = reference.columnCount
        if probes == nil && max(n, reference.rowCount) <= denseLimit {
            return blockwiseError(reference, approximation, threads: threads)
        }
        let k = probes ?? 64
        var rng = SeededGenerator(seed: seed)
        let w = rng.gaussians(n * k)
        return relativeError(reference.apply(matrix: w, columns: k), approximation.apply(matrix: w, columns: k))
    }

    /// Σ over column blocks of ‖(ΠB − ΠB̂)E_blk‖² and ‖ΠB·E_blk‖², E_blk the identity's columns of the block (each
    /// block's sums in its own slot, added in block order: the same for every thread count).
    static func blockwiseError(_ ref: ButterflyChain, _ approx: ButterflyChain, threads: Int?) -> Double {
        let n = ref.columnCount, rows = ref.rowCount, width = 64
        let blocks = (n + width - 1) / width
        var err = [Double](repeating: 0, count: blocks), nrm = [Double](repeating: 0, count: blocks)
        err.withUnsafeMutableBufferPointer { e in
            nrm.withUnsafeMutableBufferPointer { r in
                parallelFor(blocks, threads: threads) { blk in
                    var se = 0.0, sr = 0.0
                    let lo = blk * width, w = min(width, n - lo)
                    var id = [Double](repeating: 0, count: n * w)
                    for j in 0..<w { id[(lo + j) * w + j] = 1 }
                    let a = ref.apply(matrix: id, columns: w), b = approx.apply(matrix: id, columns: w)
                    for i in 0..<(rows * w) { let d = a[i] - b[i]; se += d * d; sr += a[i] * a[i] }
                    e[blk] = se; r[blk] = sr
                }
            }
        }
        let se = err.reduce(0, +), sr = nrm.reduce(0, +)
        if sr == 0 { return se == 0 ? 0 : .infinity }
        return (se / sr).squareRoot()
    }
}
