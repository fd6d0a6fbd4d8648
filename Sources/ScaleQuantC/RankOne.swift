import ScaleQuant

/// Optimal rank-one quantization: x̂ ∈ G_x^m, ŷ ∈ G_y^n minimizing ‖xyᵀ − x̂ŷᵀ‖_F exactly.
///
/// `name_y` may be null (same grid as x). Writes x̂ into `x_hat` (m doubles), ŷ into `y_hat` (n doubles) and
/// `[relative_error, rtn_relative_error, lambda, mu, pieces]` into `out_stats` (5 doubles). m, n ≥ 1; NaN or
/// infinite entries are rejected (status 3). Problems beyond the solver's limits are refused with status 4 (the
/// solver's own checks, ``RankOne/checkLimits(_:grid:name:)``: binary64, many entries on binary32, non-zero
/// magnitudes of one side spanning more than 800 binades, entries of xyᵀ beyond 2^±800).
@_cdecl("sq_rank_one")
public func sq_rank_one(_ nameX: UnsafePointer<CChar>?, _ nameY: UnsafePointer<CChar>?,
                        _ x: UnsafePointer<Double>?, _ m: Int64, _ y: UnsafePointer<Double>?, _ n: Int64,
                        _ xHat: UnsafeMutablePointer<Double>?, _ yHat: UnsafeMutablePointer<Double>?,
                        _ outStats: UnsafeMutablePointer<Double>?,
                        _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64) -> Int32 {
    guarded(err, errLen) {
        let gx = try grid(named: nameX, "name_x")
        let gy = nameY == nil ? gx : try grid(named: nameY, "name_y")
        let mc = try elementCount(m, "m"), nc = try elementCount(n, "n")
        guard mc > 0, nc > 0 else { throw CABIError(SQStatus.invalidArgument, "m and n must be at least 1 (got \(m), \(n))") }
        let xv = try finiteDoubles(x, mc, "x"), yv = try finiteDoubles(y, nc, "y")
        guard let xo = try requiredOutput(xHat, "x_hat"), let yo = try requiredOutput(yHat, "y_hat"),
              let so = try requiredOutput(outStats, "out_stats") else { return }
        let r: RankOneResult
        do { r = try RankOne.quantize(x: xv, y: yv, grid: gx, gridY: gy) } catch let e as RankOneError {
            switch e {
            case .outOfRange, .tooLarge: throw CABIError(SQStatus.unsupported, e.description)
            default: throw e
            }
        }
        for i in 0..<mc { xo[i] = r.xHat[i] }
        for j in 0..<nc { yo[j] = r.yHat[j] }
        so[0] = r.relativeError
        so[1] = r.rtnRelativeError
        so[2] = r.lambda
        so[3] = r.mu
        so[4] = Double(r.pieces)
    }
}
