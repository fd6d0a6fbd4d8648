#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The butterfly quantization experiment (docs/Theory.md §3; hal-04125381 §7): random Gaussian square-dyadic
/// butterflies quantized to the idealized grids F_p with RTN, pairwise, left-to-right and right-to-left, the mean
/// relative error per (N, p, method), the bits saved at equal error, and the orthonormal DCT-II (factored first).
public enum ButterflyExperiment {
    /// What to run.
    public struct Configuration: Sendable {
        /// Sizes N (powers of two).
        public var sizes: [Int] = [16, 64, 256, 1024]
        /// Precisions p of the grids F_p.
        public var precisions: [Int] = Array(2...8)
        /// Random butterflies per size (the same ones for every p and method).
        public var draws: Int = 10
        /// Base seed.
        public var seed: UInt64 = 2024
        /// DCT-II sizes (empty to skip).
        public var dctSizes: [Int] = [64, 256]
        /// Formats for the DCT-II part.
        public var dctFormats: [String] = ["e4m3", "bf16"]
        /// Worker threads for each quantization (`nil`: ``Parallelism/threads``).
        public var threads: Int? = nil
        /// The default configuration.
        public init() {}
    }

    /// Mean error of one method at one (N, p).
    public struct Cell: Sendable {
        /// Size N.
        public var size: Int
        /// Precision p.
        public var precision: Int
        /// The method.
        public var method: SparseChain.Method
        /// Mean over draws of ‖ΠB − ΠB̂‖_F/‖ΠB‖_F (exact, dense).
        public var meanError: Double
        /// Mean RTN error / mean error of this method.
        public var gainOverRTN: Double
        /// p* − p with p* the precision at which RTN reaches this error (log-linear interpolation of the RTN
        /// curve; nil if the RTN curve has fewer than two points or is not decreasing there).
        public var bitsSaved: Double?
        /// Whether p* lies outside the measured precisions (linear extrapolation of the end segment).
        public var extrapolated: Bool
        /// Mean seconds per quantization (one thread; draws run concurrently on ``Configuration/threads``).
        public var seconds: Double
    }

    /// One DCT-II row.
    public struct DCTRow: Sendable {
        /// Size N.
        public var size: Int
        /// Whether the factored matrix is P·C with P the bit-reversal permutation of the rows (C's rows in
        /// bit-reversed order), rather than C itself.
        public var rowsBitReversed: Bool
        /// ‖C − ΠB‖_F/‖C‖_F of the butterfly factorization of the DCT-II matrix C.
        public var factorizationError: Double
        /// The format name.
        public var format: String
        /// The method.
        public var method: SparseChain.Method
        /// ‖ΠB − ΠB̂‖_F/‖ΠB‖_F (quantization error with respect to the factored chain).
        public var errorVsChain: Double
        /// ‖C − ΠB̂‖_F/‖C‖_F (total error with respect to the DCT itself).
        public var errorVsMatrix: Double
    }

    /// The results.
    public struct Result: Sendable {
        /// One cell per (N, p, method), in that order.
        public var cells: [Cell]
        /// The DCT-II rows.
        public var dct: [DCTRow]
    }

    /// Runs the experiment.
    ///
    /// - Complexity: per (N, draw, p, method) one quantization (O(N·L) small rank-one problems) and one dense
    ///   product O(N²·L) for the exact error.
    /// - Throws: ``ButterflyError`` for a size that is not a power of two, ``FormatError`` for a bad precision or
    ///   format.
    public static func run(_ config: Configuration) throws -> Result {
        var cells: [Cell] = []
        let methods = SparseChain.Method.allCases
        for n in config.sizes {
            let chains = try (0..<config.draws).map { try ButterflyChain.random(n, seed: config.seed &+ UInt64(n) << 20 &+ UInt64($0)) }
            // Draws run in parallel (each on one thread); per-draw results are summed in draw order afterwards,
            // so the figures do not depend on the thread count.
            let np = config.precisions.count, nm = methods.count
            var errs = [Double](repeating: 0, count: config.draws * np * nm)
            var secs = errs
            let grids = try config.precisions.map { try FloatFormat.idealized(precision: $0) }
            let failed = Atomic<Bool>(false)
            errs.withUnsafeMutableBufferPointer { e in
                secs.withUnsafeMutableBufferPointer { t in
                    parallelFor(config.draws, threads: config.threads) { c in
                        for (pi, grid) in grids.enumerated() {
                            for (mi, m) in methods.enumerated() {
                                let clock = ContinuousClock()
                                var q = chains[c]
                                var ok = true
                                let d = clock.measure {
                                    do { q = try ButterflyQuantizer.quantize(chains[c], grid: grid, method: m, threads: 1) } catch { ok = false }
                                }
                                if !ok { failed.store(true, ordering: .relaxed); return }
                                let k = (c * np + pi) * nm + mi
                                t[k] = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
                                e[k] = ButterflyMetrics.relativeError(chains[c], q, threads: 1)
                            }
                        }
                    }
                }
            }
            if failed.load(ordering: .relaxed) { throw ButterflyError.notFinite("a quantization failed") }
            var sums = [[Double]](repeating: [Double](repeating: 0, count: nm), count: np)
            var times = sums
            for c in 0..<config.draws {
                for pi in 0..<np {
                    for mi in 0..<nm {
                        sums[pi][mi] += errs[(c * np + pi) * nm + mi] / Double(config.draws)
                        times[pi][mi] += secs[(c * np + pi) * nm + mi] / Double(config.draws)
                    }
                }
            }
            let rtnCurve = config.precisions.enumerated().map { (Double($0.element), sums[$0.offset][0]) }
            for (pi, p) in config.precisions.enumerated() {
                for (mi, m) in methods.enumerated() {
                    let e = sums[pi][mi]
                    let star = equalErrorPrecision(rtnCurve: rtnCurve, error: e)
                    cells.append(Cell(size: n, precision: p, method: m, meanError: e, gainOverRTN: sums[pi][0] / e,
                                      bitsSaved: star.map { $0.precision - Double(p) }, extrapolated: star?.extrapolated ?? false,
                                      seconds: times[pi][mi]))
                }
            }
        }
        var dct: [DCTRow] = []
        for n in config.dctSizes {
            for bitReversed in [false, true] {
                let c = bitReversed ? bitReversingRows(dct2(n), n) : dct2(n)
                let f = try ButterflyFactorization(matrix: c, size: n)
                for name in config.dctFormats {
                    let grid = try FormatCatalog.grid(named: name)
                    for m in methods {
                        let q = try ButterflyQuantizer.quantize(f.chain, grid: grid, method: m, threads: config.threads)
                        dct.append(DCTRow(size: n, rowsBitReversed: bitReversed, factorizationError: f.relativeError,
                                          format: name, method: m,
                                          errorVsChain: ButterflyMetrics.relativeError(f.chain, q, threads: config.threads),
                                          errorVsMatrix: ButterflyMetrics.relativeError(dense: c, chain: q)))
                    }
                }
            }
        }
        return Result(cells: cells, dct: dct)
    }

    /// The precision p* at which the RTN error curve (points (p, error), p increasing) equals `error`, by
    /// piecewise-linear interpolation of log(error) in p; beyond the ends, the end segment is extended (and
    /// `extrapolated` is set). Nil with fewer than two points, non-positive errors, or a flat end segment.
    ///
    /// Complexity: O(points).
    public static func equalErrorPrecision(rtnCurve: [(Double, Double)], error: Double) -> (precision: Double, extrapolated: Bool)? {
        guard rtnCurve.count >= 2, error > 0, rtnCurve.allSatisfy({ $0.1 > 0 }) else { return nil }
        let pts = rtnCurve.map { ($0.0, log($0.1)) }
        let target = log(error)
        for k in 0..<(pts.count - 1) {
            let (p0, y0) = pts[k], (p1, y1) = pts[k + 1]
            if (y0 >= target && target >= y1) || (y0 <= target && target <= y1) {
                guard y0 != y1 else { return (p0, false) }
                return (p0 + (target - y0) / (y1 - y0) * (p1 - p0), false)
            }
        }
        // Outside the range: extend the end segment on the side of the target.
        let useLast = target < pts[pts.count - 1].1
        let (p0, y0) = useLast ? pts[pts.count - 2] : pts[0]
        let (p1, y1) = useLast ? pts[pts.count - 1] : pts[1]
        guard y1 != y0 else { return nil }
        return (p0 + (target - y0) / (y1 - y0) * (p1 - p0), true)
    }

    /// The row-major n × n matrix whose row i is row bitreverse(i) of `m` (n a power of two).
    ///
    /// Complexity: O(n²).
    public static func bitReversingRows(_ m: [Double], _ n: Int) -> [Double] {
        let l = n.trailingZeroBitCount
        var out = m
        for i in 0..<n {
            var r = 0
            for b in 0..<l where i & (1 << b) != 0 { r |= 1 << (l - 1 - b) }
            for j in 0..<n { out[i * n + j] = m[r * n + j] }
        }
        return out
    }

    /// The orthonormal DCT-II matrix of size n, row-major: C[k, j] = α_k cos(π(2j + 1)k / (2n)), α₀ = √(1/n),
    /// α_k = √(2/n).
    ///
    /// Complexity: O(n²).
    public static func dct2(_ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for k in 0..<n {
            let alpha = (k == 0 ? 1.0 / Double(n) : 2.0 / Double(n)).squareRoot()
            for j in 0..<n { c[k * n + j] = alpha * cos(Double.pi * Double((2 * j + 1) * k) / Double(2 * n)) }
        }
        return c
    }
}
