import ScaleQuant

/// Quantizes a chain of sparse factors B₀·B₁⋯B_{L−1} given in coordinate (COO) form.
///
/// Layout (L = `num_factors` ≥ 1, all integers int64):
/// - `shapes`: 2L values, (rows_k, cols_k) for k = 0…L−1, with cols_k = rows_{k+1}; each dimension ≤ 2^22;
/// - `nnz`: L values, the number of stored entries of each factor;
/// - `rows`, `cols`, `values`: Σ nnz entries each, the factors' entries concatenated in factor order
///   (factor 0's entries first); no two entries of a factor at the same position; values finite;
/// - `out_values`: Σ nnz doubles, the quantized values in the same order (the pattern is unchanged);
/// - `out_stats`: 5 doubles `[relative_error, rtn_relative_error, error_is_exact, rank_one_problems,
///   last_pair_optimal]`, the errors ‖ΠB − ΠB̂‖_F / ‖ΠB‖_F of the result and of round-to-nearest, exact (1) when
///   the product has at most 4096 rows and columns, else estimated with 32 seeded Gaussian probes (0).
///
/// `method`: 0 rtn, 1 pairwise (status 4 if the rank-one terms X[:,i]·Y[i,:] of a pair overlap), 2 left-to-right
/// (falls back to rescaling + RTN for an overlapping last pair; last_pair_optimal is then 0), 3 right-to-left
/// (``SparseChain/rightToLeft(_:grid:threads:)``): every factor must have a Kronecker-sparse support
/// I_a ⊗ 1_{b×c} ⊗ I_d holding its non-zero entries (butterfly, Monarch, dense…) and the rank-one terms of the first
/// pair must not overlap, else status 4. ``SparseChain`` is the quantizer of `scalequant butterfly` too: the same
/// chain gives the same values, bit for bit, for every method. Rank-one methods refuse (status 4) a step beyond the
/// rank-one solver's limits, as sq_rank_one does, naming the factor and column, row or term.
@_cdecl("sq_quantize_factors")
public func sq_quantize_factors(_ name: UnsafePointer<CChar>?, _ method: Int32, _ numFactors: Int64,
                                _ shapes: UnsafePointer<Int64>?, _ nnz: UnsafePointer<Int64>?,
                                _ rows: UnsafePointer<Int64>?, _ cols: UnsafePointer<Int64>?,
                                _ values: UnsafePointer<Double>?, _ outValues: UnsafeMutablePointer<Double>?,
                                _ outStats: UnsafeMutablePointer<Double>?,
                                _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64) -> Int32 {
    guarded(err, errLen) {
        let g = try grid(named: name, "name")
        guard let m = SparseChain.Method(code: method) else {
            throw CABIError(SQStatus.invalidArgument, "unknown method code \(method) (0 rtn, 1 pairwise, 2 l2r, 3 r2l)")
        }
        let count = try elementCount(numFactors, "num_factors")
        guard count > 0 else { throw CABIError(SQStatus.invalidArgument, "num_factors must be at least 1") }
        guard let shapes = try required(shapes, "shapes"), let nnz = try required(nnz, "nnz") else { return }
        var total = 0
        var counts: [Int] = []
        for k in 0..<count {
            let r = shapes[2 * k], c = shapes[2 * k + 1]
            guard r >= 0, c >= 0, r <= maxDimension, c <= maxDimension else {
                throw CABIError(SQStatus.invalidArgument,
                                "factor \(k) has shape \(r)×\(c) (dimensions must lie in 0…\(maxDimension))")
            }
            let e = try elementCount(nnz[k], "nnz[\(k)]")
            counts.append(e)
            let (sum, overflow) = total.addingReportingOverflow(e)
            guard !overflow, sum <= maxElements else {
                throw CABIError(SQStatus.invalidArgument, "the total number of entries overflows")
            }
            total = sum
        }
        guard let rp = try required(rows, "rows", count: total), let cp = try required(cols, "cols", count: total),
              let outV = try requiredOutput(outValues, "out_values", count: total),
              let outS = try requiredOutput(outStats, "out_stats") else {
            // Only reachable with total == 0 and null arrays: every factor is empty.
            return try quantizeEmpty(count, shapes, g, m, outStats)
        }
        let vals = try finiteDoubles(values, total, "values")
        var factors: [SparseMatrix] = []
        var offset = 0
        for k in 0..<count {
            let e = counts[k]
            let r = (0..<e).map { Int(rp[offset + $0]) }, c = (0..<e).map { Int(cp[offset + $0]) }
            do {
                factors.append(try SparseMatrix(rowCount: Int(shapes[2 * k]), columnCount: Int(shapes[2 * k + 1]),
                                                rows: r, columns: c, values: Array(vals[offset..<(offset + e)])))
            } catch let error as SparseFactorError {
                let (status, message) = classify(error)
                throw CABIError(status, "factor \(k): \(message)")
            }
            offset += e
        }
        let result = try SparseChain.quantize(factors, grid: g, method: m)
        var o = 0
        for f in result.factors {
            for v in f.values {
                outV[o] = v
                o += 1
            }
        }
        write(result, to: outS)
    }
}

/// The chain of empty factors (no entries at all): validates shapes, writes the stats.
private func quantizeEmpty(_ count: Int, _ shapes: UnsafePointer<Int64>, _ g: any NumberGrid,
                           _ m: SparseChain.Method, _ outStats: UnsafeMutablePointer<Double>?) throws {
    guard let outStats else { throw CABIError(SQStatus.invalidArgument, "out_stats is a null pointer") }
    let factors = try (0..<count).map {
        try SparseMatrix(rowCount: Int(shapes[2 * $0]), columnCount: Int(shapes[2 * $0 + 1]), rows: [], columns: [],
                         values: [])
    }
    write(try SparseChain.quantize(factors, grid: g, method: m), to: outStats)
}

/// The 5 statistics of a chain result.
private func write(_ r: SparseChain.Result, to out: UnsafeMutablePointer<Double>) {
    out[0] = r.relativeError
    out[1] = r.rtnRelativeError
    out[2] = r.errorIsExact ? 1 : 0
    out[3] = Double(r.rankOneProblems)
    out[4] = r.lastPairOptimal ? 1 : 0
}
