import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// log₂ from the C library.
@inline(__always) func libmLog2(_ x: Double) -> Double { log2(x) }

/// How to quantize the factors of a butterfly chain (hal-04125381, §7).
public enum ButterflyMethod: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Round every factor to nearest (the baseline).
    case rtn
    /// Algorithm 7.2: pairs (B₁, B₂), (B₃, B₄), … each quantized optimally; an odd last factor gets RTN.
    case pairwise
    /// Algorithm 7.3: B₁, …, B_{L−2} rounded one at a time with the rest of the chain kept exact (scales pushed
    /// right), then the last pair optimally.
    case leftToRight = "l2r"
    /// The mirror of ``leftToRight`` (Algorithm 7.3 on the transposed chain).
    case rightToLeft = "r2l"

    /// The command-line name (`rtn`, `pairwise`, `l2r`, `r2l`).
    public var description: String { rawValue }
}

/// Quantization of butterfly chains to a grid by rescaling invariance (R. Gribonval, T. Mary, E. Riccietti,
/// *Optimal quantization of rank-one matrices in floating-point arithmetic — with applications to butterfly
/// factorizations*, hal-04125381, Algorithms 7.1–7.3; docs/Theory.md §3).
///
/// For consecutive chainable factors X, Y, XY = Σ_i X[:,i]·Y[i,:] and the terms have disjoint supports, so the
/// pair is quantized exactly by one rank-one problem (``RankOne``) per i on the nonzeros of X[:,i] and Y[i,:].
/// Every quantized value is on the grid. Independent columns run on `threads` threads (`nil`:
/// ``Parallelism/threads``); results do not depend on the thread count.
public enum ButterflyQuantizer {
    /// The chain quantized with `method`; every value of every factor is a grid value.
    ///
    /// - Complexity: O(Σ nnz · k·log k) with k the rounding boundaries per scale period (2^(p−1) for F_p):
    ///   columns have 2 nonzeros in a square-dyadic chain, so N·L small rank-one problems in all.
    /// - Throws: ``ButterflyError/notFinite(_:)`` if a value is NaN or infinite.
    public static func quantize(_ chain: ButterflyChain, grid: any NumberGrid, method: ButterflyMethod,
                                threads: Int? = nil) throws -> ButterflyChain {
        guard chain.isFinite else { throw ButterflyError.notFinite("the chain has NaN or infinite values") }
        let fs = chain.factors
        switch method {
        case .rtn:
            return roundToNearest(chain, grid: grid)
        case .pairwise:
            var out: [KSFactor] = []
            var k = 0
            while k + 1 < fs.count {
                let (x, y) = try quantizePair(fs[k], fs[k + 1], grid: grid, threads: threads)
                out.append(x); out.append(y)
                k += 2
            }
            if k < fs.count { out.append(roundToNearest(fs[k], grid: grid)) }
            return try ButterflyChain(factors: out)
        case .leftToRight:
            return try leftToRight(chain, grid: grid, threads: threads)
        case .rightToLeft:
            return try leftToRight(chain.transposed(), grid: grid, threads: threads).transposed()
        }
    }

    /// Every factor rounded to nearest.
    ///
    /// Complexity: O(Σ nnz).
    public static func roundToNearest(_ chain: ButterflyChain, grid: any NumberGrid) -> ButterflyChain {
        var c = chain
        for k in c.factors.indices { c.factors[k] = roundToNearest(c.factors[k], grid: grid) }
        return c
    }

    /// The factor rounded to nearest.
    public static func roundToNearest(_ f: KSFactor, grid: any NumberGrid) -> KSFactor {
        var g = f
        g.values = grid.round(f.values)
        return g
    }

    /// Algorithm 7.3: X = B₁; for k = 1…L−2, X̂[:,i] = Q(λ_i X[:,i]) maximizing the cosine to X[:,i], and the
    /// next X is B_{k+1} with row i scaled by μ_i = X[:,i]·X̂[:,i]/‖X̂[:,i]‖²; the last pair is quantized by
    /// ``quantizePair(_:_:grid:threads:)``. One factor: RTN; two: the pairwise step.
    ///
    /// - Complexity: as ``quantize(_:grid:method:threads:)``.
    public static func leftToRight(_ chain: ButterflyChain, grid: any NumberGrid, threads: Int? = nil) throws -> ButterflyChain {
        try leftToRightCounted(chain, grid: grid, threads: threads, checkingLimits: false).chain
    }

    /// ``leftToRight(_:grid:threads:)`` (the same steps, so the same result) that also counts the rank-one problems
    /// solved and, with `checkingLimits`, refuses inputs the rank-one solver cannot handle safely.
    ///
    /// With `checkingLimits`, before each step every column support of the left factor (as rescaled by the
    /// previous steps) and, for the last pair, every row support of the right factor must pass
    /// ``RankOneLimits/check(_:grid:label:)`` and have its non-zero magnitudes within 2^±``RankOneLimits/maxExponent``
    /// (the butterfly solves call the rank-one solver directly, without ``RankOneLimits``' rebalancing).
    ///
    /// - Returns: the quantized chain, and the number of rank-one problems: columns with a non-zero value in the
    ///   left steps, plus the terms of the last pair whose two parts both have a non-zero value.
    /// - Throws: ``SparseFactorError/tooExpensive(_:)`` beyond the limits (naming the factor of `chain` and the
    ///   column or row); otherwise as ``leftToRight(_:grid:threads:)``.
    public static func leftToRightCounted(_ chain: ButterflyChain, grid: any NumberGrid, threads: Int? = nil,
                                          checkingLimits: Bool) throws -> (chain: ButterflyChain, problems: Int) {
        guard chain.isFinite else { throw ButterflyError.notFinite("the chain has NaN or infinite values") }
        let fs = chain.factors
        if fs.count == 1 { return (roundToNearest(chain, grid: grid), 0) }
        var out: [KSFactor] = []
        var problems = 0
        var x = fs[0]
        for k in 0..<(fs.count - 2) {
            if checkingLimits { try checkLimits(x, columns: true, grid: grid, label: "factor \(k)") }
            problems += (0..<x.columnCount).filter { x.columnSupport($0).valueIndices.contains { x.values[$0] != 0 } }.count
            let (q, mu) = try quantizeLeft(x, grid: grid, threads: threads)
            out.append(q)
            x = scaleRows(fs[k + 1], by: mu)
        }
        let y = fs[fs.count - 1]
        if checkingLimits {
            try checkLimits(x, columns: true, grid: grid, label: "factor \(fs.count - 2)")
            try checkLimits(y, columns: false, grid: grid, label: "factor \(fs.count - 1)")
        }
        if x.columnCount == y.rowCount {
            problems += (0..<x.columnCount).filter { i in
                x.columnSupport(i).valueIndices.contains { x.values[$0] != 0 }
                    && y.rowSupport(i).valueIndices.contains { y.values[$0] != 0 }
            }.count
        }
        let (qx, qy) = try quantizePair(x, y, grid: grid, threads: threads)
        out.append(qx); out.append(qy)
        return (try ButterflyChain(factors: out), problems)
    }

    /// Checks every column (or row) support of `f` against ``RankOneLimits/check(_:grid:label:)`` and the magnitude
    /// limit 2^±``RankOneLimits/maxExponent``.
    ///
    /// - Throws: ``SparseFactorError/tooExpensive(_:)``, the message starting with `label`.
    static func checkLimits(_ f: KSFactor, columns: Bool, grid: any NumberGrid, label: String) throws {
        for i in 0..<(columns ? f.columnCount : f.rowCount) {
            let v = (columns ? f.columnSupport(i).valueIndices : f.rowSupport(i).valueIndices).map { f.values[$0] }
            let place = "\(label) \(columns ? "column" : "row") \(i)"
            try RankOneLimits.check(v, grid: grid, label: place)
            for e in v where e != 0 && Swift.abs(Int(Swift.abs(e).exponent)) > RankOneLimits.maxExponent {
                throw SparseFactorError.tooExpensive(
                    "\(place): a value of magnitude 2^\(Int(Swift.abs(e).exponent)) is beyond the rank-one solver's "
                        + "limit of 2^±\(RankOneLimits.maxExponent)")
            }
        }
    }

    /// `f` with row i multiplied by `s[i]`.
    ///
    /// Complexity: O(nnz).
    public static func scaleRows(_ f: KSFactor, by s: [Double]) -> KSFactor {
        precondition(s.count == f.rowCount, "scaleRows: \(s.count) scales for \(f.rowCount) rows")
        var g = f
        for ia in 0..<f.a {
            for ib in 0..<f.b {
                for ic in 0..<f.c {
                    for id in 0..<f.d {
                        g.values[f.valueIndex(ia, ib, ic, id)] *= s[ia * f.b * f.d + ib * f.d + id]
                    }
                }
            }
        }
        return g
    }

    /// The optimal quantization of the pair (X, Y) (Algorithm 7.1 with both sides rounded): for every i, the
    /// nonzeros of X[:,i] and Y[i,:] are replaced by the exact minimizer of ‖xyᵀ − x̂ŷᵀ‖_F over the grid
    /// (``RankOne/quantize(x:y:grid:gridY:)``; for a bounded float format, the F_p solution rebalanced into the
    /// format when it fits, which is then provably the same optimum: see `ButterflyRankOne`). Minimizes ‖XY − X̂Ŷ‖_F over all X̂, Ŷ on the grid with X's and Y's
    /// supports when the factors are chainable (disjoint rank-one supports).
    ///
    /// - Complexity: X.columnCount rank-one problems of sizes b_X × c_Y.
    /// - Throws: ``ButterflyError/incompatible(_:)`` if X's columns ≠ Y's rows; ``ButterflyError/notFinite(_:)``.
    public static func quantizePair(_ x: KSFactor, _ y: KSFactor, grid: any NumberGrid,
                                    threads: Int? = nil) throws -> (KSFactor, KSFactor) {
        guard x.columnCount == y.rowCount else {
            throw ButterflyError.incompatible("pair: \(x.columnCount) columns vs \(y.rowCount) rows")
        }
        guard x.isFinite, y.isFinite else { throw ButterflyError.notFinite("the pair has NaN or infinite values") }
        var qx = x, qy = y
        let solver = ButterflyRankOne(grid: grid)
        let failed = Atomic<Bool>(false)
        qx.values.withUnsafeMutableBufferPointer { ox in
            qy.values.withUnsafeMutableBufferPointer { oy in
                parallelFor(x.columnCount, schedule: .static, threads: threads) { i in
                    let cs = x.columnSupport(i).valueIndices, rs = y.rowSupport(i).valueIndices
                    let xs = cs.map { x.values[$0] }, ys = rs.map { y.values[$0] }
                    var xh: [Double], yh: [Double]
                    if xs.allSatisfy({ $0 == 0 }) || ys.allSatisfy({ $0 == 0 }) {
                        xh = grid.round(xs); yh = grid.round(ys)
                    } else {
                        guard let r = try? solver.pair(xs, ys) else { failed.store(true, ordering: .relaxed); return }
                        xh = r.xHat; yh = r.yHat
                    }
                    for (t, j) in cs.enumerated() { ox[j] = xh[t] }
                    for (t, j) in rs.enumerated() { oy[j] = yh[t] }
                }
            }
        }
        if failed.load(ordering: .relaxed) { throw ButterflyError.notFinite("a rank-one subproblem of the pair failed") }
        return (qx, qy)
    }

    /// The left step of Algorithm 7.3: per column i, X̂[:,i] = Q(λ_i X[:,i]) maximizing the cosine with X[:,i]
    /// (``RankOne/quantizeKeepingY(x:grid:)``), and μ_i = X[:,i]·X̂[:,i]/‖X̂[:,i]‖² (0 for a zero column), so that
    /// X ≈ X̂·diag(μ).
    ///
    /// - Complexity: X.columnCount problems of size b.
    public static func quantizeLeft(_ x: KSFactor, grid: any NumberGrid,
                                    threads: Int? = nil) throws -> (KSFactor, mu: [Double]) {
        var qx = x
        var mu = [Double](repeating: 0, count: x.columnCount)
        let solver = ButterflyRankOne(grid: grid)
        let failed = Atomic<Bool>(false)
        qx.values.withUnsafeMutableBufferPointer { ox in
            mu.withUnsafeMutableBufferPointer { om in
                parallelFor(x.columnCount, schedule: .static, threads: threads) { i in
                    let cs = x.columnSupport(i).valueIndices
                    let xs = cs.map { x.values[$0] }
                    if xs.allSatisfy({ $0 == 0 }) {
                        for j in cs { ox[j] = 0 }
                        om[i] = 0
                        return
                    }
                    guard let r = try? solver.keepingY(xs) else { failed.store(true, ordering: .relaxed); return }
                    let (xh, m) = canonicalScaling(xs, r.xHat, r.mu, grid: grid)
                    for (t, j) in cs.enumerated() { ox[j] = xh[t] }
                    om[i] = m
                }
            }
        }
        if failed.load(ordering: .relaxed) { throw ButterflyError.notFinite("a rank-one subproblem failed") }
        return (qx, mu)
    }

    /// Picks, among the rescalings s·x̂ that stay on the grid (each has exactly the same cosine with x, so each is
    /// an optimum of the left step), a normalized one, and returns it with μ = x·(s·x̂)/‖s·x̂‖²:
    /// - if x is a multiple of a sign vector (all nonzero |x_i| equal, as in Hadamard-like factors), the sign
    ///   vector of x̂ (±1 entries, or the nearest power of two on the grid);
    /// - otherwise 2^e·x̂ with max|2^e·x̂| in [1, 2) (or the nearest binade that stays on a bounded grid).
    ///
    /// Why: the rank-one solver breaks exact ties by its sweep order (it can return x̂ = 5·2⁻⁹·(1, 1) for
    /// x = (1, 1)/√2 in e4m3, so μ carries a factor 5 into the next factor and exactly representable chains such
    /// as the Walsh–Hadamard transform are not recovered), and its scale is arbitrary (drifting to underflow on
    /// bounded formats). Normalizing x̂ makes μ_i carry the magnitude of column i into row i of the next factor, so
    /// the next step's cosine weighs the entries by their true contribution to the product. Measured on random
    /// butterflies (N = 1024, F_4, the 6 seeds of docs/Butterfly.md §6), mean l2r error 1.31e-2 with the
    /// power-of-two normalization, 1.34e-2 with the solver's own choice, 1.50e-2 with μ normalized to ≈ 1 instead,
    /// 1.42e-2 when preferring fewest significant bits, 1.38e-2 when snapping every equal-magnitude x̂ to signs.
    ///
    /// Complexity: O(m) for m nonzeros (m = 2 in a square-dyadic chain).
    static func canonicalScaling(_ x: [Double], _ xh: [Double], _ mu: Double,
                                 grid: any NumberGrid) -> ([Double], Double) {
        let nz = xh.indices.filter { xh[$0] != 0 }
        guard let first = nz.first else { return (xh, mu) }
        // x itself a multiple of a sign vector (all nonzero |x_i| equal, the same support as x̂): use the signs.
        let mx = abs(x[first])
        let signLike = mx > 0 && x.indices.allSatisfy { (x[$0] == 0) == (xh[$0] == 0) && (x[$0] == 0 || abs(x[$0]) == mx) }
        let base = signLike ? xh.map { $0 / abs(xh[first]) } : xh
        let top = base.reduce(0) { max($0, abs($1)) }
        guard top.isFinite, top > 0 else { return (xh, mu) }
        let e0 = -Int(libmLog2(top).rounded(.down))
        for step in 0..<17 {
            let e = e0 + (step % 2 == 0 ? step / 2 : -(step + 1) / 2)
            let scale = Double(sign: .plus, exponent: e, significand: 1)
            let cand = base.map { $0 * scale }
            guard cand.allSatisfy({ $0.isFinite && grid.round($0) == $0 }), nz.allSatisfy({ cand[$0] != 0 }) else { continue }
            var num = 0.0, den = 0.0
            for i in cand.indices { num += x[i] * cand[i]; den += cand[i] * cand[i] }
            let m = num / den
            return m.isFinite ? (cand, m) : (xh, mu)
        }
        return (xh, mu)
    }
}
