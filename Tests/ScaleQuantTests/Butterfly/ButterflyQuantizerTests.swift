import Testing
@testable import ScaleQuant

@Suite("Butterfly quantization")
struct ButterflyQuantizerTests {
    /// Σ_i ‖x_i y_iᵀ − x̂_i ŷ_iᵀ‖² over the rank-one terms of a pair, i.e. ‖XY − X̂Ŷ‖²_F.
    func pairError(_ x: KSFactor, _ y: KSFactor, _ qx: KSFactor, _ qy: KSFactor) -> Double {
        let a = naiveMatmul(x.dense(), y.dense(), x.rowCount, x.columnCount, y.columnCount)
        let b = naiveMatmul(qx.dense(), qy.dense(), x.rowCount, x.columnCount, y.columnCount)
        return zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    @Test func pairwiseStepIsTheBruteForceOptimum() throws {
        let grid = try FloatFormat(exponentBits: 2, mantissaBits: 1, specials: .none)
        let nonNeg = try #require(grid.nonNegativeValues())
        let signed = nonNeg + nonNeg.dropFirst().map { -$0 }
        for seed in UInt64(1)...3 {
            let chain = try ButterflyChain(factors: Array(ButterflyChain.random(4, seed: seed).factors))
            let (x, y) = (chain.factors[0], chain.factors[1])
            let q = try ButterflyQuantizer.quantize(chain, grid: grid, method: .pairwise, threads: 2)
            let (qx, qy) = (q.factors[0], q.factors[1])
            // Brute force each rank-one block over G² × G².
            var best = 0.0
            for i in 0..<x.columnCount {
                let xs = x.columnSupport(i).valueIndices.map { x.values[$0] }
                let ys = y.rowSupport(i).valueIndices.map { y.values[$0] }
                var m = Double.infinity
                for a0 in signed { for a1 in signed { for b0 in signed { for b1 in signed {
                    let xh = [a0, a1], yh = [b0, b1]
                    var e = 0.0
                    for p in 0..<2 { for q in 0..<2 { let t = xs[p] * ys[q] - xh[p] * yh[q]; e += t * t } }
                    m = min(m, e)
                } } } }
                best += m
            }
            let got = pairError(x, y, qx, qy)
            #expect(abs(got - best) <= 1e-12 * max(1, best), "seed \(seed): \(got) vs brute force \(best)")
            let rtn = ButterflyQuantizer.roundToNearest(chain, grid: grid)
            #expect(got <= pairError(x, y, rtn.factors[0], rtn.factors[1]) + 1e-15)
        }
    }

    @Test func quantizedValuesAreOnTheGrid() throws {
        let grids: [any NumberGrid] = [try FloatFormat.idealized(precision: 3), try FormatCatalog.grid(named: "e4m3"),
                                       try FormatCatalog.grid(named: "e2m1"), try FormatCatalog.grid(named: "int4")]
        for n in [2, 8, 16, 32] {
            let chain = try ButterflyChain.random(n, seed: UInt64(n))
            for grid in grids {
                for method in SparseChain.Method.allCases {
                    let q = try ButterflyQuantizer.quantize(chain, grid: grid, method: method)
                    #expect(q.factors.count == chain.factors.count)
                    for (f, g) in zip(q.factors, chain.factors) { #expect(f.pattern == g.pattern) }
                    #expect(q.factors.allSatisfy { $0.values.allSatisfy { grid.round($0) == $0 } },
                            "\(method) on \(grid), N = \(n)")
                }
            }
        }
    }

    @Test func threadCountDoesNotChangeResults() throws {
        let chain = try ButterflyChain.random(32, seed: 11)
        let grid = try FloatFormat.idealized(precision: 4)
        for method in SparseChain.Method.allCases {
            #expect(try ButterflyQuantizer.quantize(chain, grid: grid, method: method, threads: 1)
                    == ButterflyQuantizer.quantize(chain, grid: grid, method: method, threads: 2))
        }
    }

    @Test(arguments: [(16, 3), (16, 4), (64, 3), (64, 4)])
    func optimizedMethodsBeatRTNOnAverage(n: Int, p: Int) throws {
        let grid = try FloatFormat.idealized(precision: p)
        var mean: [SparseChain.Method: Double] = [:]
        let draws = 8
        for s in 0..<draws {
            let chain = try ButterflyChain.random(n, seed: UInt64(1000 * n + s))
            for method in SparseChain.Method.allCases {
                let q = try ButterflyQuantizer.quantize(chain, grid: grid, method: method)
                mean[method, default: 0] += ButterflyMetrics.relativeError(chain, q) / Double(draws)
            }
        }
        let rtn = mean[.rtn] ?? 0, pw = mean[.pairwise] ?? .infinity
        let l2r = mean[.leftToRight] ?? .infinity, r2l = mean[.rightToLeft] ?? .infinity
        #expect(pw < rtn)
        #expect(l2r < rtn)
        #expect(r2l < rtn)
        #expect(l2r < pw)
    }

    @Test(arguments: [(16, "e4m3"), (64, "e4m3"), (16, "bf16"), (16, "fp16")])
    func walshHadamardIsExactWithOptimizedMethods(n: Int, format: String) throws {
        let wht = try ButterflyChain.walshHadamard(n)
        for name in [format] {
            let grid = try FormatCatalog.grid(named: name)
            let rtn = ButterflyMetrics.relativeError(wht, try ButterflyQuantizer.quantize(wht, grid: grid, method: .rtn))
            #expect(rtn > 1e-6, "\(name)")
            for method in [SparseChain.Method.pairwise, .leftToRight, .rightToLeft] {
                let e = ButterflyMetrics.relativeError(wht, try ButterflyQuantizer.quantize(wht, grid: grid, method: method))
                #expect(e < 1e-12, "\(method) \(name): \(e)")
            }
        }
    }

    @Test func hadamardStaysExact() throws {
        let h = try ButterflyChain.hadamard(16)
        for name in ["e5m2", "e2m1", "int4"] {
            let grid = try FormatCatalog.grid(named: name)
            for method in SparseChain.Method.allCases {
                #expect(ButterflyMetrics.relativeError(h, try ButterflyQuantizer.quantize(h, grid: grid, method: method)) == 0,
                        "\(method) \(name)")
            }
        }
    }

    @Test func smallChainsAndBadValues() throws {
        let grid = try FloatFormat.idealized(precision: 4)
        let one = try ButterflyChain(factors: [randomFactor((1, 2, 2, 1), seed: 1)])
        #expect(try ButterflyQuantizer.quantize(one, grid: grid, method: .leftToRight)
                == ButterflyQuantizer.roundToNearest(one, grid: grid))
        let two = try ButterflyChain.random(4, seed: 2)
        #expect(try ButterflyQuantizer.quantize(two, grid: grid, method: .leftToRight)
                == ButterflyQuantizer.quantize(two, grid: grid, method: .pairwise))
        var bad = two
        bad.factors[1].values[0] = .nan
        #expect(throws: ButterflyError.self) { try ButterflyQuantizer.quantize(bad, grid: grid, method: .pairwise) }
    }

    /// The tie-break rule picks a member of each class of equally good answers that depends on the class only, so
    /// an exact rescaling B₂·D, D⁻¹·B₃ (D a diagonal of powers of two) gives back the same quantized values: every
    /// left step sees the same class, and the pair (B₂, B₃) the same products.
    @Test(arguments: ["p=4", "e4m3", "bf16", "int4"])
    func powerOfTwoRescalingBetweenFactorsChangesNothing(format: String) throws {
        let grid = try FormatCatalog.grid(named: format)
        let chain = try ButterflyChain.random(64, seed: 7)
        var rng = SeededGenerator(seed: 31)
        let shifts = (0..<chain.factors[2].columnCount).map { _ in Int(rng.next() % 9) - 4 }
        var scaled = chain
        for j in shifts.indices {
            for v in chain.factors[2].columnSupport(j).valueIndices {
                scaled.factors[2].values[v] = Double(sign: .plus, exponent: shifts[j], significand: chain.factors[2].values[v])
            }
            for v in chain.factors[3].rowSupport(j).valueIndices {
                scaled.factors[3].values[v] = Double(sign: .plus, exponent: -shifts[j], significand: chain.factors[3].values[v])
            }
        }
        #expect(scaled != chain)
        for method in [SparseChain.Method.pairwise, .leftToRight, .rightToLeft] {
            #expect(try ButterflyQuantizer.quantize(scaled, grid: grid, method: method)
                    == ButterflyQuantizer.quantize(chain, grid: grid, method: method), "\(method) \(format)")
        }
    }

    @Test func probeEstimateIsClose() throws {
        let chain = try ButterflyChain.random(64, seed: 4)
        let q = try ButterflyQuantizer.quantize(chain, grid: try FloatFormat.idealized(precision: 3), method: .rtn)
        let exact = ButterflyMetrics.relativeError(chain, q)
        let estimate = ButterflyMetrics.relativeError(chain, q, probes: 256)
        #expect(abs(estimate - exact) < 0.2 * exact)
    }
}
