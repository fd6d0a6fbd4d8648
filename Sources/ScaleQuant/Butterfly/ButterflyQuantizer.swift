import Dispatch
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
/// factorizations*, hal-04125381, Algorithms 7.1–7.3; science §3).
///
/// For consecutive chainable factors X, Y, XY = Σ_i X[:,i]·Y[i,:] and the terms have disjoint supports, so the
/// pair is quantized exactly by one rank-one problem (``RankOne``) per i on the nonzeros of X[:,i] and Y[i,:].
/// Every quantized value is on the grid. Independent columns run on `threads` threads; results do not depend on
/// the thread count.
public enum ButterflyQuantizer {
    /// The chain quantized with `method`; every value of every factor is a grid value.
    ///
    /// - Complexity: O(Σ nnz · k·log k) with k the rounding boundaries per scale period (2^(p−1) for F_p):
    ///   columns have 2 nonzeros in a square-dyadic chain, so N·L small rank-one problems in all.
    /// - Throws: ``ButterflyError/notFinite(_:)`` if a value is NaN or infinite.
    public static func quantize(_ chain: ButterflyChain, grid: any NumberGrid, method: ButterflyMethod,
                                threads: Int = 2) throws -> ButterflyChain {
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
    public static func leftToRight(_ chain: ButterflyChain, grid: any NumberGrid, threads: Int = 2) throws -> ButterflyChain {
        guard chain.isFinite else { throw ButterflyError.notFinite("the chain has NaN or infinite values") }
        let fs = chain.factors
        if fs.count == 1 { return roundToNearest(chain, grid: grid) }
        var out: [KSFactor] = []
        var x = fs[0]
        for k in 0..<(fs.count - 2) {
            let (q, mu) = try quantizeLeft(x, grid: grid, threads: threads)
            out.append(q)
            x = scaleRows(fs[k + 1], by: mu)
        }
        let (qx, qy) = try quantizePair(x, fs[fs.count - 1], grid: grid, threads: threads)
        out.append(qx); out.append(qy)
        return try ButterflyChain(factors: out)
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
                                    threads: Int = 2) throws -> (KSFactor, KSFactor) {
        guard x.columnCount == y.rowCount else {
            throw ButterflyError.incompatible("pair: \(x.columnCount) columns vs \(y.rowCount) rows")
        }
        guard x.isFinite, y.isFinite else { throw ButterflyError.notFinite("the pair has NaN or infinite values") }
        var qx = x, qy = y
        let solver = ButterflyRankOne(grid: grid)
        let failed = qx.values.withUnsafeMutableBufferPointer { ox in
            qy.values.withUnsafeMutableBufferPointer { oy in
                parallelRanges(x.columnCount, threads: threads) { range in
                    for i in range {
                        let cs = x.columnSupport(i).valueIndices, rs = y.rowSupport(i).valueIndices
                        let xs = cs.map { x.values[$0] }, ys = rs.map { y.values[$0] }
                        var xh: [Double], yh: [Double]
                        if xs.allSatisfy({ $0 == 0 }) || ys.allSatisfy({ $0 == 0 }) {
                            xh = grid.round(xs); yh = grid.round(ys)
                        } else {
                            guard let r = try? solver.pair(xs, ys) else { return false }
                            xh = r.xHat; yh = r.yHat
                        }
                        for (t, j) in cs.enumerated() { ox[j] = xh[t] }
                        for (t, j) in rs.enumerated() { oy[j] = yh[t] }
                    }
                    return true
                }
            }
        }
        if failed { throw ButterflyError.notFinite("a rank-one subproblem of the pair failed") }
        return (qx, qy)
    }

    /// The left step of Algorithm 7.3: per column i, X̂[:,i] = Q(λ_i X[:,i]) maximizing the cosine with X[:,i]
    /// (``RankOne/quantizeKeepingY(x:grid:)``), and μ_i = X[:,i]·X̂[:,i]/‖X̂[:,i]‖² (0 for a zero column), so that
    /// X ≈ X̂·diag(μ).
    ///
    /// - Complexity: X.columnCount problems of size b.
    public static func quantizeLeft(_ x: KSFactor, grid: any NumberGrid,
                                    threads: Int = 2) throws -> (KSFactor, mu: [Double]) {
        var qx = x
        var mu = [Double](repeating: 0, count: x.columnCount)
        let solver = ButterflyRankOne(grid: grid)
        let failed = qx.values.withUnsafeMutableBufferPointer { ox in
            mu.withUnsafeMutableBufferPointer { om in
                parallelRanges(x.columnCount, threads: threads) { range in
                    for i in range {
                        let cs = x.columnSupport(i).valueIndices
                        let xs = cs.map { x.values[$0] }
                        if xs.allSatisfy({ $0 == 0 }) {
                            for j in cs { ox[j] = 0 }
                            om[i] = 0
                            continue
                        }
                        guard let r = try? solver.keepingY(xs) else { return false }
                        let (xh, m) = canonicalScaling(xs, r.xHat, r.mu, grid: grid)
                        for (t, j) in cs.enumerated() { ox[j] = xh[t] }
                        om[i] = m
                    }
                    return true
                }
            }
        }
        if failed { throw ButterflyError.notFinite("a rank-one subproblem failed") }
        return (qx, mu)
    }

    /// Among the rescalings s·x̂ that stay on the grid (each has exactly the same cosine with x, so each is an
    /// optimum of the left step), picks the one with the fewest significant bits in all, then the one with μ
    /// closest to 1 (|log₂ μ| smallest). Candidates: x̂ divided by one of its entries (making that entry ±1), and
    /// x̂ itself, each times the power of two that brings μ nearest to 1 (or the nearest power that stays on a
    /// bounded grid).
    ///
    /// Why: the rank-one solver breaks exact ties by its sweep order, which can return x̂ = 5·2⁻⁹·(1, 1) for
    /// x = (1, 1)/√2. That choice is optimal for the step, but μ = 1/(5·2⁻⁹·√2) then carries a factor 5 into the
    /// next factor, and the next ones drift in scale (to underflow on bounded formats). With this rule,
    /// representable factors (Hadamard, Walsh–Hadamard) stay exact and x̂ keeps x's scale.
    ///
    /// Complexity: O(m²) for m nonzeros (m = 2 in a square-dyadic chain).
    static func canonicalScaling(_ x: [Double], _ xh: [Double], _ mu: Double,
                                 grid: any NumberGrid) -> ([Double], Double) {
        let nz = xh.indices.filter { xh[$0] != 0 }
        guard !nz.isEmpty else { return (xh, mu) }
        func bits(_ v: [Double]) -> Int {
            v.reduce(0) { acc, e in
                e == 0 ? acc : acc + 53 - (e.significandBitPattern == 0 ? 52 : e.significandBitPattern.trailingZeroBitCount)
            }
        }
        func muOf(_ v: [Double]) -> Double {
            var num = 0.0, den = 0.0
            for i in v.indices { num += x[i] * v[i]; den += v[i] * v[i] }
            return num / den
        }
        var best = xh, bestMu = mu, bestBits = bits(xh), bestDist = abs(libmLog2(abs(mu)))
        var bases: [[Double]] = [xh]
        for j in nz { let p = abs(xh[j]); bases.append(xh.map { $0 / p }) }
        for base in bases {
            guard base.allSatisfy({ $0.isFinite }) else { continue }
            let m0 = muOf(base)
            guard m0.isFinite, m0 != 0 else { continue }
            let e0 = Int(libmLog2(abs(m0)).rounded())
            for step in 0..<9 {
                let e = e0 + (step % 2 == 0 ? step / 2 : -(step + 1) / 2)
                let scale = Double(sign: .plus, exponent: e, significand: 1)
                let cand = base.map { $0 * scale }
                guard cand.allSatisfy({ $0.isFinite && grid.round($0) == $0 }),
                      nz.allSatisfy({ cand[$0] != 0 }) else { continue }
                let m = m0 / scale, b = bits(cand), dist = abs(libmLog2(abs(m)))
                if b < bestBits || (b == bestBits && dist < bestDist) {
                    best = cand; bestMu = m; bestBits = b; bestDist = dist
                }
                break
            }
        }
        return (best, bestMu)
    }

    /// Splits 0..<count into `threads` contiguous ranges run concurrently; returns true if any `body` returned
    /// false. Each index is handled by exactly one call, so disjoint writes are race-free and deterministic.
    static func parallelRanges(_ count: Int, threads: Int, _ body: (Range<Int>) -> Bool) -> Bool {
        let t = max(1, min(threads, count))
        if t == 1 { return !body(0..<count) }
        let flags = UnsafeMutableBufferPointer<Bool>.allocate(capacity: t)
        flags.initialize(repeating: false)
        defer { flags.deallocate() }
        return withoutActuallyEscaping(body) { body in
            // Each iteration writes only its own flag and the output indices of its own range.
            let shared = UncheckedBox((body, flags))
            DispatchQueue.concurrentPerform(iterations: t) { k in
                let lo = count * k / t, hi = count * (k + 1) / t
                shared.value.1[k] = !shared.value.0(lo..<hi)
            }
            return flags.contains(true)
        }
    }
}

/// Hands a value to concurrent iterations that touch disjoint parts of it.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
