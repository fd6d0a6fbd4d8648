/// Hierarchical butterfly factorization of a dense N × N matrix onto the square-dyadic chain (Q.-T. Le, L. Zheng,
/// E. Riccietti, R. Gribonval, *Butterfly factorization with error guarantees*, arXiv 2411.04506).
///
/// The chain B₁⋯B_L is split into a left part B₁⋯B_s (pattern (1, 2^s, 2^s, N/2^s) once fused) and a right part
/// B_{s+1}⋯B_L (pattern (2^s, N/2^s, N/2^s, 1)), s = ⌊L/2⌋. Their product is Σ_i X[:,i]Y[i,:] with N rank-one
/// terms whose supports partition the N × N matrix, so the best two-factor approximation is the best rank-one
/// approximation of each of the N blocks of size 2^s × N/2^s. Each fused part is, slice by slice, a dense matrix
/// of size 2^s (resp. N/2^s) that is factored recursively the same way (balanced tree). The result is exact
/// (to rounding) when A is a square-dyadic butterfly product, and within the paper's error bound otherwise.
public struct ButterflyFactorization: Sendable {
    /// The square-dyadic chain B₁⋯B_L.
    public var chain: ButterflyChain
    /// ‖A − B₁⋯B_L‖_F / ‖A‖_F (0 for A = 0 reproduced exactly).
    public var relativeError: Double

    /// Factors the row-major N × N matrix `matrix` (N = 2^L ≥ 2) and measures the error of the product.
    ///
    /// - Complexity: O(N²·√N) for the N top-level blocks of size about √N × √N (Gram matrix, six squarings, power
    ///   iterations of O(N) each), less for the lower levels; the dense error check costs O(N²·L).
    /// - Throws: ``ButterflyError`` if the count is not N², N is not a power of two ≥ 2, or an entry is not
    ///   finite.
    public init(matrix: [Double], size n: Int) throws {
        guard ButterflyChain.log2(n) != nil else { throw ButterflyError.badSize("size \(n) is not a power of two ≥ 2") }
        guard matrix.count == n * n else {
            throw ButterflyError.badSize("expected \(n)×\(n) = \(n * n) entries, got \(matrix.count)")
        }
        if let i = matrix.firstIndex(where: { !$0.isFinite }) {
            throw ButterflyError.notFinite("entry (\(i / n), \(i % n)) is NaN or infinite")
        }
        let values = Self.factorSquare(matrix, n)
        var chain = try ButterflyChain.squareDyadic(n)
        for k in chain.factors.indices { chain.factors[k].values = values[k] }
        self.chain = chain
        self.relativeError = ButterflyMetrics.relativeError(dense: matrix, chain: chain)
    }

    /// The values of the L square-dyadic factors of size n approximating the dense row-major n × n matrix `m`.
    static func factorSquare(_ m: [Double], _ n: Int) -> [[Double]] {
        if n == 2 { return [m] }
        let l = n.trailingZeroBitCount, s = l / 2
        let bigS = 1 << s, d = n >> s
        // Fused left part X: pattern (1, S, S, d), index (ib·S + ic)·d + id.
        // Fused right part Y: pattern (S, d, d, 1), index (ia·d + ib)·d + ic.
        var x = [Double](repeating: 0, count: bigS * bigS * d)
        var y = [Double](repeating: 0, count: bigS * d * d)
        var block = [Double](repeating: 0, count: bigS * d)
        var work = RankOneWorkspace(capacity: max(bigS, d))
        for ic in 0..<bigS {
            for id in 0..<d {
                // Block i = ic·d + id: rows ib·d + id (ib < S), columns ic·d + jc (jc < d).
                for ib in 0..<bigS {
                    let r = (ib * d + id) * n + ic * d
                    for jc in 0..<d { block[ib * d + jc] = m[r + jc] }
                }
                let (u, v) = work.bestRankOne(block, rows: bigS, columns: d)
                for ib in 0..<bigS { x[(ib * bigS + ic) * d + id] = u[ib] }
                let yBase = (ic * d + id) * d
                for jc in 0..<d { y[yBase + jc] = v[jc] }
            }
        }
        var out: [[Double]] = []
        out.reserveCapacity(l)
        // Left factors: slice id of X is an S × S matrix; its factor C_j embeds at B_j index C·d + id.
        // Every square-dyadic factor of size n stores 2n values.
        var left = [[Double]](repeating: [Double](repeating: 0, count: 2 * n), count: s)
        var slice = [Double](repeating: 0, count: bigS * bigS)
        for id in 0..<d {
            for ib in 0..<bigS { for ic in 0..<bigS { slice[ib * bigS + ic] = x[(ib * bigS + ic) * d + id] } }
            let sub = factorSquare(slice, bigS)
            for j in 0..<s {
                let cj = sub[j]
                left[j].withUnsafeMutableBufferPointer { dst in
                    for q in 0..<cj.count { dst[q * d + id] = cj[q] }
                }
            }
        }
        out.append(contentsOf: left)
        // Right factors: slice ia of Y is a d × d matrix; its factor C_j is contiguous in B_{s+j} at ia·count(C_j).
        var right = [[Double]](repeating: [Double](repeating: 0, count: 2 * n), count: l - s)
        for ia in 0..<bigS {
            let sub = factorSquare(Array(y[(ia * d * d)..<((ia + 1) * d * d)]), d)
            for j in 0..<(l - s) {
                let cj = sub[j], off = ia * cj.count
                for q in 0..<cj.count { right[j][off + q] = cj[q] }
            }
        }
        out.append(contentsOf: right)
        return out
    }
}

/// Scratch space for best rank-one approximations of small dense blocks.
struct RankOneWorkspace {
    private var gram: [Double]
    private var power: [Double]
    private var tmp: [Double]

    init(capacity: Int) {
        gram = [Double](repeating: 0, count: capacity * capacity)
        power = gram
        tmp = gram
    }

    /// (x, y) with x·yᵀ the best rank-one approximation of the row-major `rows` × `columns` block, balanced
    /// (‖x‖ = ‖y‖ = √σ₁). Zero vectors for a zero block.
    ///
    /// The top singular vector on the smaller side is the top eigenvector of the Gram matrix (power iteration,
    /// with repeated squaring G^64 for a better start when the gap is small).
    mutating func bestRankOne(_ blk: [Double], rows: Int, columns: Int) -> ([Double], [Double]) {
        let onRight = columns <= rows
        let k = onRight ? columns : rows
        // G = BᵀB (k = columns) or BBᵀ (k = rows).
        blk.withUnsafeBufferPointer { b in
            gram.withUnsafeMutableBufferPointer { g in
                for p in 0..<k {
                    for q in p..<k {
                        var sum = 0.0
                        if onRight { for r in 0..<rows { sum += b[r * columns + p] * b[r * columns + q] } }
                        else { for c in 0..<columns { sum += b[p * columns + c] * b[q * columns + c] } }
                        g[p * k + q] = sum; g[q * k + p] = sum
                    }
                }
            }
        }
        let v = topEigenvector(k)
        guard let v else { return ([Double](repeating: 0, count: rows), [Double](repeating: 0, count: columns)) }
        // The other side: w = Bv (or Bᵀu), σ = ‖w‖.
        var w = [Double](repeating: 0, count: onRight ? rows : columns)
        if onRight {
            for r in 0..<rows { var s = 0.0; for c in 0..<columns { s += blk[r * columns + c] * v[c] }; w[r] = s }
        } else {
            for c in 0..<columns { var s = 0.0; for r in 0..<rows { s += blk[r * columns + c] * v[r] }; w[c] = s }
        }
        let sigma = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard sigma > 0 else { return ([Double](repeating: 0, count: rows), [Double](repeating: 0, count: columns)) }
        let rs = sigma.squareRoot()
        let small = v.map { $0 * rs }, big = w.map { $0 / rs }
        return onRight ? (big, small) : (small, big)
    }

    /// The unit top eigenvector of the PSD matrix in `gram` (k × k), or nil if it is zero.
    ///
    /// Power iteration from the column of G with the largest diagonal entry; if it has not settled after 40 steps
    /// (a small spectral gap), restart from a column of G^64 (six normalized squarings) and iterate up to 500 steps.
    private mutating func topEigenvector(_ k: Int) -> [Double]? {
        var trace = 0.0
        for i in 0..<k { trace += gram[i * k + i] }
        guard trace > 0 else { return nil }
        if k == 1 { return [1] }
        var best = 0
        for i in 1..<k where gram[i * k + i] > gram[best * k + best] { best = i }
        var v = (0..<k).map { gram[$0 * k + best] }
        normalize(&v)
        if iterate(&v, k, steps: 40) { return v }
        power.withUnsafeMutableBufferPointer { pw in
            tmp.withUnsafeMutableBufferPointer { tm in
                gram.withUnsafeBufferPointer { g in
                    for i in 0..<(k * k) { pw[i] = g[i] / trace }
                    for _ in 0..<6 {
                        var t = 0.0
                        for i in 0..<k {
                            for j in 0..<k { tm[i * k + j] = 0 }
                            for q in 0..<k {
                                let a = pw[i * k + q]
                                if a == 0 { continue }
                                for j in 0..<k { tm[i * k + j] += a * pw[q * k + j] }
                            }
                            t += tm[i * k + i]
                        }
                        guard t > 0 else { break }
                        for i in 0..<(k * k) { pw[i] = tm[i] / t }
                    }
                }
            }
        }
        best = 0
        for i in 1..<k where power[i * k + i] > power[best * k + best] { best = i }
        v = (0..<k).map { power[$0 * k + best] }
        guard normalize(&v) else { return nil }
        _ = iterate(&v, k, steps: 500)
        return v
    }

    /// Up to `steps` power iterations v ← Gv/‖Gv‖; true once the iterate stops moving (‖Δv‖² < 1e-30).
    private func iterate(_ v: inout [Double], _ k: Int, steps: Int) -> Bool {
        var next = v
        for _ in 0..<steps {
            gram.withUnsafeBufferPointer { g in
                v.withUnsafeBufferPointer { vv in
                    for i in 0..<k {
                        var s = 0.0
                        for q in 0..<k { s += g[i * k + q] * vv[q] }
                        next[i] = s
                    }
                }
            }
            guard normalize(&next) else { return true }
            var change = 0.0
            for i in 0..<k { change += (next[i] - v[i]) * (next[i] - v[i]) }
            swap(&v, &next)
            if change < 1e-30 { return true }
        }
        return false
    }

    @discardableResult
    private func normalize(_ v: inout [Double]) -> Bool {
        let nrm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard nrm > 0, nrm.isFinite else { return false }
        for i in v.indices { v[i] /= nrm }
        return true
    }
}
