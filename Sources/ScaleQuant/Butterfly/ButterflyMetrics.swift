/// Relative Frobenius errors of butterfly products (docs/Theory.md §3: ‖ΠB − ΠB̂‖_F / ‖ΠB‖_F).
public enum ButterflyMetrics {
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

    /// ‖ΠB − ΠB̂‖_F / ‖ΠB‖_F, by ``SparseChain/relativeErrors(original:candidates:probes:threads:)`` (so the command
    /// line reports the same figure as the C interface and Python): exact when the size is at most
    /// ``SparseChain/denseErrorLimit`` and `probes` is nil, otherwise estimated from `probes` (default
    /// ``SparseChain/errorProbes``) seeded Gaussian probes; `threads` as there.
    ///
    /// Complexity: O(N·Σ nnz) exact, O(k·Σ nnz) with k probes.
    public static func relativeError(_ reference: ButterflyChain, _ approximation: ButterflyChain,
                                     probes: Int? = nil, threads: Int? = nil) -> Double {
        precondition(reference.rowCount == approximation.rowCount
                     && reference.columnCount == approximation.columnCount, "relativeError: sizes differ")
        return SparseChain.relativeErrors(original: reference.factors.map { $0.sparseMatrix() },
                                          candidates: [approximation.factors.map { $0.sparseMatrix() }],
                                          probes: probes, threads: threads).errors[0]
    }
}
