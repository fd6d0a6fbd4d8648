/// Options of GPTQ (``GPTQ``).
public struct GPTQOptions: Sendable {
    /// Added to the diagonal of H, as a fraction of its mean (the published 1%): keeps H positive definite and
    /// limits how far the error of one column is pushed onto the next ones.
    public var damping: Double = 0.01
    /// Columns in order of decreasing H diagonal (the published "act-order") instead of in order; a bias column
    /// stays last either way.
    public var activationOrder: Bool = false
    /// Columns per lazy block update (the published 128): the same result as updating after every column, with
    /// the trailing update done once per block.
    public var blockSize: Int = 128
    /// Default options.
    public init() {}
}

/// GPTQ on one layer (E. Frantar, S. Ashkboos, T. Hoefler, D. Alistarh, *GPTQ: Accurate post-training quantization
/// for generative pre-trained transformers*, arXiv 2210.17323; column by column it is the optimal brain surgeon
/// update of Hassibi & Stork, and in reverse order Babai's nearest-plane algorithm for the lattice of H).
///
/// It minimizes, greedily, the layer's output error on calibration inputs, ‖W X − Ŵ X‖²_F = tr((W − Ŵ) H (W − Ŵ)ᵀ)
/// with H = X Xᵀ (here the mean over calibration rows; scale does not matter): the columns are rounded one at a
/// time, and after column i is rounded the error e = (w_i − ŵ_i)/U_ii of every row is pushed onto the columns not
/// yet rounded, w_j −= e·U_ij, with U the upper Cholesky factor of H⁻¹ (H⁻¹ = UᵀU). That update is the exact
/// least-squares correction of the remaining columns for the rounding of column i, so the error of the layer is
/// the sum of the rounding errors weighted by the conditional variances. Each row has its own grid (per-channel
/// scales) and the last column may be a bias (its input is the constant 1) on its own grid; it is never moved
/// by act-order, so it absorbs the mean of the error of every weight (a built-in bias correction).
///
/// U is computed without forming H⁻¹: H = R Rᵀ with R upper triangular (Cholesky from the last row), and U = R⁻¹.
/// Rows are independent given U, so they run in parallel.
///
/// - Complexity: O(c³) for the factorization (c columns) plus O(r·c²) for the updates (r rows); memory O(c² + r·c).
enum GPTQ {
    /// The rounded rows × cols matrix (row-major, the input's column order) of `weights` against `hessian`
    /// (cols × cols, symmetric positive semi-definite; row-major), each row on `rowGrids[row]` (one grid: every
    /// row), the last column on `lastColumnGrid` if given.
    ///
    /// Columns whose diagonal is zero (inputs that are always 0) get H_ii = 1: they are rounded to nearest and
    /// push no error. If H + damping is not positive definite numerically, the damping is multiplied by 10 (up to
    /// 10⁶ times the mean diagonal).
    static func quantize(weights: [Double], rows: Int, cols: Int, hessian: [Double], rowGrids: [any NumberGrid],
                         lastColumnGrid: (any NumberGrid)?, options: GPTQOptions = .init()) -> [Double] {
        precondition(weights.count == rows * cols && hessian.count == cols * cols && !rowGrids.isEmpty)
        guard rows > 0, cols > 0 else { return weights }
        let pinned = lastColumnGrid != nil ? 1 : 0
        var order = Array(0..<cols)
        if options.activationOrder {
            let free = (0..<(cols - pinned)).sorted { hessian[$0 * cols + $0] > hessian[$1 * cols + $1] }
            order = free + (pinned == 1 ? [cols - 1] : [])
        }
        var h = [Double](repeating: 0, count: cols * cols)
        for i in 0..<cols { for j in 0..<cols { h[i * cols + j] = hessian[order[i] * cols + order[j]] } }
        var meanDiagonal = 0.0
        for i in 0..<cols { meanDiagonal += h[i * cols + i] }
        meanDiagonal = meanDiagonal > 0 ? meanDiagonal / Double(cols) : 1
        for i in 0..<cols where h[i * cols + i] == 0 {
            for j in 0..<cols { h[i * cols + j] = 0; h[j * cols + i] = 0 }
            h[i * cols + i] = 1
        }
        var damping = max(options.damping, 0) * meanDiagonal
        var u: [Double] = []
        while true {
            var d = h
            for i in 0..<cols { d[i * cols + i] += damping }
            if let r = reverseCholesky(d, cols) { u = invertUpper(r, cols); break }
            damping = damping > 0 ? damping * 10 : 1e-6 * meanDiagonal
            if damping > 1e6 * meanDiagonal { u = identity(cols); break }
        }
        var w = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows { for j in 0..<cols { w[r * cols + j] = weights[r * cols + order[j]] } }
        let block = max(options.blockSize, 1)
        var q = [Double](repeating: 0, count: rows * cols)
        w.withUnsafeMutableBufferPointer { wb in
            q.withUnsafeMutableBufferPointer { qb in
                u.withUnsafeBufferPointer { ub in
                    let pw = UncheckedBox(wb), pq = UncheckedBox(qb)
                    parallelFor(rows) { r in
                        roundRow(pw.value.baseAddress! + r * cols, into: pq.value.baseAddress! + r * cols, cols: cols,
                                 u: ub, grid: rowGrids.count == 1 ? rowGrids[0] : rowGrids[r],
                                 lastColumnGrid: lastColumnGrid, block: block)
                    }
                }
            }
        }
        var out = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows { for j in 0..<cols { out[r * cols + order[j]] = q[r * cols + j] } }
        return out
    }

    /// One row of the column loop: rounds w (updated in place) into q, block by block; within a block every later
    /// column of the block is updated after each column, the columns after the block once per block with the
    /// block's errors (the lazy batch update). O(cols²).
    private static func roundRow(_ w: UnsafeMutablePointer<Double>, into q: UnsafeMutablePointer<Double>, cols: Int,
                                 u: UnsafeBufferPointer<Double>, grid: any NumberGrid,
                                 lastColumnGrid: (any NumberGrid)?, block: Int) {
        var errors = [Double](repeating: 0, count: block)
        var i1 = 0
        while i1 < cols {
            let i2 = min(i1 + block, cols)
            for i in i1..<i2 {
                let g = (i == cols - 1 ? lastColumnGrid : nil) ?? grid
                let value = g.round(w[i])
                q[i] = value
                let e = (w[i] - value) / u[i * cols + i]
                errors[i - i1] = e
                if e != 0 { for j in (i + 1)..<i2 { w[j] -= e * u[i * cols + j] } }
            }
            if i2 < cols {
                for i in i1..<i2 where errors[i - i1] != 0 {
                    let e = errors[i - i1], row = i * cols
                    for j in i2..<cols { w[j] -= e * u[row + j] }
                }
            }
            i1 = i2
        }
    }

    /// Upper-triangular R with positive diagonal and a = R Rᵀ (Cholesky started from the last row), or `nil` if a
    /// pivot is not positive. O(n³/3).
    static func reverseCholesky(_ a: [Double], _ n: Int) -> [Double]? {
        var r = [Double](repeating: 0, count: n * n)
        for j in stride(from: n - 1, through: 0, by: -1) {
            var s = a[j * n + j]
            for k in (j + 1)..<max(n, j + 1) { s -= r[j * n + k] * r[j * n + k] }
            guard s > 0, s.isFinite else { return nil }
            let d = s.squareRoot()
            r[j * n + j] = d
            for i in 0..<j {
                var t = a[i * n + j]
                for k in (j + 1)..<max(n, j + 1) { t -= r[i * n + k] * r[j * n + k] }
                r[i * n + j] = t / d
            }
        }
        return r
    }

    /// R⁻¹ for upper-triangular R with non-zero diagonal (also upper triangular). O(n³/3).
    static func invertUpper(_ r: [Double], _ n: Int) -> [Double] {
        var u = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            u[j * n + j] = 1 / r[j * n + j]
            for i in stride(from: j - 1, through: 0, by: -1) {
                var s = 0.0
                for k in (i + 1)...j { s += r[i * n + k] * u[k * n + j] }
                u[i * n + j] = -s / r[i * n + i]
            }
        }
        return u
    }

    /// The n × n identity.
    private static func identity(_ n: Int) -> [Double] {
        var u = [Double](repeating: 0, count: n * n)
        for i in 0..<n { u[i * n + i] = 1 }
        return u
    }
}
