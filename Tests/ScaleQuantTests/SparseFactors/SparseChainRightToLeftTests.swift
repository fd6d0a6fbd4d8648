import Testing
@testable import ScaleQuant

/// The chain's factors as sparse matrices (every support position stored), in the given entry order.
func sparseFactors(_ chain: ButterflyChain, shuffledWith rng: inout SeededGenerator) -> [SparseMatrix] {
    chain.factors.map { f in
        let dense = f.dense()
        let n = f.columnCount
        var entries: [(Int, Int, Double)] = []
        for ia in 0..<f.a { for ib in 0..<f.b { for ic in 0..<f.c { for id in 0..<f.d {
            entries.append((ia * f.b * f.d + ib * f.d + id, ia * f.c * f.d + ic * f.d + id,
                            dense[(ia * f.b * f.d + ib * f.d + id) * n + ia * f.c * f.d + ic * f.d + id]))
        } } } }
        entries.shuffle(using: &rng)
        return try! SparseMatrix(rowCount: f.rowCount, columnCount: f.columnCount, rows: entries.map(\.0),
                                 columns: entries.map(\.1), values: entries.map(\.2))
    }
}

@Suite("Sparse factors: Kronecker-sparse patterns and right-to-left")
struct SparseChainRightToLeftTests {
    @Test("the pattern of butterfly, Monarch, diagonal and dense factors is recognized")
    func patterns() throws {
        var rng = SeededGenerator(seed: 5)
        for n in [4, 16, 64] {
            let chain = try ButterflyChain.random(n, seed: 2)
            for (f, s) in zip(chain.factors, sparseFactors(chain, shuffledWith: &rng)) {
                let p = try #require(s.kroneckerPattern())
                #expect(p == (f.a, f.b, f.c, f.d))
            }
        }
        var monarch = try ButterflyChain.monarch(24, p: 4, q: 6)
        for k in monarch.factors.indices { monarch.factors[k].values = rng.gaussians(monarch.factors[k].nonzeroCount) }
        for (f, s) in zip(monarch.factors, sparseFactors(monarch, shuffledWith: &rng)) {
            #expect(s.kroneckerPattern()! == (f.a, f.b, f.c, f.d))
        }
        // A dense rectangular matrix: (1, m, n, 1); a diagonal one: the identity support (a·d = n).
        let dense = randomSparse(3, 5, &rng) { _, _ in true }
        #expect(dense.kroneckerPattern()! == (1, 3, 5, 1))
        let diagonal = randomSparse(6, 6, &rng) { i, j in i == j }
        let p = try #require(diagonal.kroneckerPattern())
        #expect(p.b == 1 && p.c == 1 && p.a * p.d == 6)
        // A support that is a strict subset of a butterfly support still fits it (missing entries are zeros)
        // if the entries fill at least half of it.
        let partial = try SparseMatrix(rowCount: 4, columnCount: 4, rows: [0, 0, 2, 3], columns: [0, 2, 2, 1],
                                       values: [1, 2, 3, 4])
        #expect(partial.kroneckerPattern()! == (1, 2, 2, 2))
        let sparser = try SparseMatrix(rowCount: 4, columnCount: 4, rows: [0, 0, 2], columns: [0, 2, 2],
                                       values: [1, 2, 3])
        #expect(sparser.kroneckerPattern() == nil)
        // Empty dimensions have no pattern; a huge dense support for a few entries is refused.
        #expect(try SparseMatrix(rowCount: 0, columnCount: 3, rows: [], columns: [], values: []).kroneckerPattern() == nil)
        let spread = try SparseMatrix(rowCount: 1024, columnCount: 1024, rows: [0, 1], columns: [1023, 0], values: [1, 1])
        #expect(spread.kroneckerPattern() == nil)
    }

    @Test("r2l is left-to-right on the transposed chain, for any entry order, and the butterfly path's answer")
    func rightToLeftIsTransposedLeftToRight() throws {
        var rng = SeededGenerator(seed: 9)
        for (n, format) in [(16, "e4m3"), (32, "bf16"), (64, "p=4")] {
            let grid = try FormatCatalog.grid(named: format)
            let chain = try ButterflyChain.random(n, seed: UInt64(n))
            let sparse = sparseFactors(chain, shuffledWith: &rng)
            let r = try SparseChain.quantize(sparse, grid: grid, method: .rightToLeft)
            let l2r = try SparseChain.leftToRight(sparse.reversed().map { $0.transposed() }, grid: grid)
            #expect(l2r.lastPairOptimal)
            #expect(zip(r.factors, l2r.factors.reversed().map { $0.transposed() }).allSatisfy { $0 == $1 })
            // The same values, position by position, as the butterfly path on the chain itself.
            let butterfly = try ButterflyQuantizer.quantize(chain, grid: grid, method: .rightToLeft)
            for (k, q) in r.factors.enumerated() {
                let dense = butterfly.factors[k].dense(), width = butterfly.factors[k].columnCount
                #expect((0..<q.entryCount).allSatisfy { q.values[$0] == dense[q.rows[$0] * width + q.columns[$0]] })
                #expect(q.rows == sparse[k].rows && q.columns == sparse[k].columns)
            }
            let error = ButterflyMetrics.relativeError(chain, butterfly)
            #expect(abs(r.relativeError - error) <= 1e-12 * error)
            #expect(r.relativeError < r.rtnRelativeError)
            // L − 2 left steps of N columns (transposed: rows) plus the N terms of the first pair.
            #expect(r.rankOneProblems == (chain.factors.count - 1) * n && l2r.problems == r.rankOneProblems)
        }
    }

    @Test("r2l refuses factors without a Kronecker-sparse support, an overlapping first pair and extreme values")
    func refusals() throws {
        var rng = SeededGenerator(seed: 11)
        let g = try FormatCatalog.grid(named: "e4m3")
        // Constant-geometry WHT factors (pyfaust.wht): rows 2i, 2i+1 use columns i, i + n/2 — not Kronecker-sparse.
        let wht = whtFactors(16, scale: 0.5.squareRoot())
        #expect(throws: SparseFactorError.notKroneckerSparse(factor: 0, rows: 16, columns: 16)) {
            try SparseChain.quantize(wht, grid: g, method: .rightToLeft)
        }
        let message = SparseFactorError.notKroneckerSparse(factor: 0, rows: 16, columns: 16).description
        #expect(message.contains("r2l") && message.contains("l2r"))
        // Two dense factors: Kronecker-sparse, but the first pair's terms overlap.
        let x = randomSparse(4, 4, &rng) { _, _ in true }, y = randomSparse(4, 4, &rng) { _, _ in true }
        #expect(throws: SparseFactorError.self) { try SparseChain.quantize([x, y], grid: g, method: .rightToLeft) }
        do {
            _ = try SparseChain.quantize([x, y], grid: g, method: .rightToLeft)
        } catch let e as SparseFactorError {
            guard case .overlappingTerms(pair: 0, _, _, _, _) = e else { Issue.record("wrong error \(e)"); return }
        }
        // Magnitudes within the rank-one solver's limits are quantized (2^450 in one factor); a first pair whose
        // product is beyond its 2^±800 is refused, naming the term.
        var chain = try ButterflyChain.random(8, seed: 4)
        chain.factors[2].values[0] = 0x1p450
        let wide = try SparseChain.quantize(sparseFactors(chain, shuffledWith: &rng), grid: g, method: .rightToLeft)
        #expect(wide.factors.allSatisfy { $0.values.allSatisfy { g.round($0) == $0 } })
        chain = try ButterflyChain.random(8, seed: 4)
        for i in chain.factors[0].values.indices { chain.factors[0].values[i] *= 0x1p500 }
        for i in chain.factors[1].values.indices { chain.factors[1].values[i] *= 0x1p400 }
        #expect(throws: SparseFactorError.self) {
            try SparseChain.quantize(sparseFactors(chain, shuffledWith: &rng), grid: g, method: .rightToLeft)
        }
        do {
            _ = try SparseChain.quantize(sparseFactors(chain, shuffledWith: &rng), grid: g, method: .rightToLeft)
        } catch SparseFactorError.tooExpensive(let message) {
            #expect(message.hasPrefix("factors 0 and 1, term ") && message.contains("beyond the supported 2^±800"),
                    "\(message)")
        }
        // binary64: too many breakpoints per binade.
        let b64 = try FormatCatalog.grid(named: "binary64")
        let small = try ButterflyChain.random(8, seed: 4)
        do {
            _ = try SparseChain.quantize(sparseFactors(small, shuffledWith: &rng), grid: b64, method: .rightToLeft)
            Issue.record("binary64 was not refused")
        } catch SparseFactorError.tooExpensive(let message) {
            // The first step of r2l is on the last factor's rows, named in the caller's chain.
            #expect(message.hasPrefix("factor 2 row 0: ") && message.contains("breakpoints"), "\(message)")
        }
        // One factor: round to nearest.
        let one = [randomSparse(4, 3, &rng) { _, _ in true }]
        let r = try SparseChain.quantize(one, grid: g, method: .rightToLeft)
        #expect(r.factors[0].values == g.round(one[0].values))
    }
}
