extension SparseChain {
    /// ‖ΠB − ΠĈ‖_F / ‖ΠB‖_F for each candidate chain Ĉ (same shapes as `original`).
    ///
    /// Exact when the product has at most ``denseErrorLimit`` rows and columns and `probes` is nil: the chains are
    /// applied to the columns of the identity, in blocks, so the dense product is never held whole. Otherwise
    /// estimated from `probes` (default ``errorProbes``) Gaussian probes g (seed ``errorSeed``): Σ‖(ΠB − ΠĈ)g‖² / Σ‖ΠB g‖², an unbiased ratio of
    /// unbiased estimates of the squared norms. Returns 0 for an empty or all-zero product approximated by zero and
    /// +inf when only the original product is zero. Blocks run on `threads` threads (`nil`: ``Parallelism/threads``);
    /// their sums are added in block order, so the result does not depend on the thread count. The one product
    /// error of the library: the command line (``ButterflyMetrics``), the C interface and Python report it.
    ///
    /// - Complexity: O(Σ nnz(B_k) · n) exact (n the columns of the product), O(Σ nnz(B_k) · probes) otherwise.
    public static func relativeErrors(original: [SparseMatrix], candidates: [[SparseMatrix]], probes: Int? = nil,
                                      threads: Int? = nil) -> (errors: [Double], exact: Bool) {
        precondition(!original.isEmpty && candidates.allSatisfy { $0.count == original.count },
                     "relativeErrors: chains differ in length")
        let m = original[0].rowCount, n = original[original.count - 1].columnCount
        let exact = probes == nil && m <= denseErrorLimit && n <= denseErrorLimit
        if m == 0 || n == 0 { return (candidates.map { _ in 0 }, exact) }
        let width = exact ? 32 : max(probes ?? errorProbes, 1)
        let blocks = exact ? (n + width - 1) / width : 1
        let chains = [original] + candidates
        let orders = chains.map { $0.map { $0.rowIndex().order } }
        // Per block: ‖ΠB·E‖² and ‖(ΠB − ΠĈ)·E‖² for each candidate.
        let partial = parallelMap(blocks, threads: threads) { b -> [Double] in
            let w = exact ? Swift.min(width, n - b * width) : width
            var input = [Double](repeating: 0, count: n * w)
            if exact {
                for t in 0..<w { input[(b * width + t) * w + t] = 1 }
            } else {
                var rng = SeededGenerator(seed: errorSeed)
                for k in 0..<input.count { input[k] = rng.nextGaussian() }
            }
            let products = chains.indices.map { apply(chains[$0], orders[$0], to: input, width: w) }
            var sums = [products[0].reduce(0) { $0 + $1 * $1 }]
            for c in 1..<products.count {
                var s = 0.0
                for k in 0..<products[0].count {
                    let d = products[0][k] - products[c][k]
                    s += d * d
                }
                sums.append(s)
            }
            return sums
        }
        var totals = [Double](repeating: 0, count: chains.count)
        for p in partial { for c in 0..<chains.count { totals[c] += p[c] } }
        let errors = (1..<chains.count).map { c -> Double in
            if totals[0] == 0 { return totals[c] == 0 ? 0 : .infinity }
            return (totals[c] / totals[0]).squareRoot()
        }
        return (errors, exact)
    }

    /// B₀·B₁⋯B_{L−1}·block for a row-major block with `width` columns (right to left), each factor's entries taken
    /// in its `orders` entry (``SparseMatrix/rowIndex()``).
    static func apply(_ chain: [SparseMatrix], _ orders: [[Int]], to block: [Double], width: Int) -> [Double] {
        var current = block
        for (f, order) in zip(chain, orders).reversed() {
            var next = [Double](repeating: 0, count: f.rowCount * width)
            current.withUnsafeBufferPointer { src in
                next.withUnsafeMutableBufferPointer { dst in f.multiplyAdd(src, width: width, into: dst, order: order) }
            }
            current = next
        }
        return current
    }
}
