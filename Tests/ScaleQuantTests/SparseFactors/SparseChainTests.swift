import Testing
@testable import ScaleQuant

/// Dense row-major product of a chain (reference for the block evaluation).
func denseProduct(_ chain: [SparseMatrix]) -> [Double] {
    var acc = chain[0].dense()
    let rows = chain[0].rowCount
    var inner = chain[0].columnCount
    for f in chain.dropFirst() {
        let d = f.dense(), n = f.columnCount
        var out = [Double](repeating: 0, count: rows * n)
        for i in 0..<rows { for k in 0..<inner where acc[i * inner + k] != 0 { for j in 0..<n {
            out[i * n + j] += acc[i * inner + k] * d[k * n + j]
        } } }
        acc = out
        inner = n
    }
    return acc
}

/// ‖P − P̂‖_F / ‖P‖_F from dense products.
func denseRelativeError(_ a: [SparseMatrix], _ b: [SparseMatrix]) -> Double {
    let p = denseProduct(a), q = denseProduct(b)
    var e = 0.0, r = 0.0
    for k in 0..<p.count { e += (p[k] - q[k]) * (p[k] - q[k]); r += p[k] * p[k] }
    return (e / r).squareRoot()
}

/// The factors of the constant-geometry Walsh–Hadamard transform of size n = 2^L (the pattern of pyfaust.wht):
/// rows 2i and 2i+1 use columns i and i + n/2, values (s, s) and (s, −s).
func whtFactors(_ n: Int, scale s: Double) -> [SparseMatrix] {
    var levels = 0
    while 1 << levels < n { levels += 1 }
    var r: [Int] = [], c: [Int] = [], v: [Double] = []
    for i in 0..<(n / 2) {
        r += [2 * i, 2 * i, 2 * i + 1, 2 * i + 1]
        c += [i, i + n / 2, i, i + n / 2]
        v += [s, s, s, -s]
    }
    let f = try! SparseMatrix(rowCount: n, columnCount: n, rows: r, columns: c, values: v)
    return [SparseMatrix](repeating: f, count: levels)
}

/// A random matrix with the given support pattern (entries where `pattern(i, j)`), Gaussian values.
func randomSparse(_ m: Int, _ n: Int, _ rng: inout SeededGenerator, _ pattern: (Int, Int) -> Bool) -> SparseMatrix {
    var dense = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n where pattern(i, j) { dense[i * n + j] = rng.nextGaussian() } }
    return try! SparseMatrix(rowCount: m, columnCount: n, dense: dense)
}

/// Square-dyadic butterfly factor ℓ (1-based) of size 2^L: pattern (2^(ℓ−1), 2, 2, 2^(L−ℓ)).
func butterflyPattern(_ level: Int, _ levels: Int) -> (Int, Int) -> Bool {
    let d = 1 << (levels - level)
    return { i, j in i / (2 * d) == j / (2 * d) && i % d == j % d }
}

@Suite("Sparse factors: matrix")
struct SparseMatrixTests {
    @Test("rejects duplicates, out-of-range indices, non-finite values and bad shapes")
    func validation() {
        #expect(throws: SparseFactorError.duplicateEntry(row: 1, column: 0)) {
            try SparseMatrix(rowCount: 2, columnCount: 2, rows: [1, 0, 1], columns: [0, 1, 0], values: [1, 2, 3])
        }
        #expect(throws: SparseFactorError.self) {
            try SparseMatrix(rowCount: 2, columnCount: 2, rows: [2], columns: [0], values: [1])
        }
        #expect(throws: SparseFactorError.notFinite(entry: 1)) {
            try SparseMatrix(rowCount: 2, columnCount: 2, rows: [0, 1], columns: [0, 1], values: [1, .nan])
        }
        #expect(throws: SparseFactorError.self) {
            try SparseMatrix(rowCount: -1, columnCount: 2, rows: [], columns: [], values: [])
        }
        #expect(throws: SparseFactorError.self) {
            try SparseMatrix(rowCount: 2, columnCount: 2, rows: [0], columns: [], values: [1])
        }
    }

    @Test("compressed indices and dense round trip")
    func indices() throws {
        let m = try SparseMatrix(rowCount: 3, columnCount: 4, rows: [2, 0, 1, 0], columns: [1, 3, 1, 1],
                                 values: [5, 6, 7, 8])
        let (cs, co) = m.columnIndex()
        #expect(cs == [0, 0, 3, 3, 4])
        #expect(co == [3, 2, 0, 1])
        let (rs, ro) = m.rowIndex()
        #expect(rs == [0, 2, 3, 4])
        #expect(ro == [3, 1, 2, 0])
        let d = m.dense()
        #expect(d == [0, 8, 0, 6, 0, 7, 0, 0, 0, 5, 0, 0])
        #expect(try SparseMatrix(rowCount: 3, columnCount: 4, dense: d).dense() == d)
    }
}

@Suite("Sparse factors: chain quantization")
struct SparseChainTests {
    @Test("block error equals the dense computation")
    func errorMatchesDense() throws {
        var rng = SeededGenerator(seed: 3)
        let chain = (1...4).map { randomSparse(16, 16, &rng, butterflyPattern($0, 4)) }
        let bf16 = try FormatCatalog.grid(named: "bf16")
        for method in SparseChain.Method.allCases {
            let r = try SparseChain.quantize(chain, grid: bf16, method: method)
            #expect(r.errorIsExact)
            let dense = denseRelativeError(chain, r.factors)
            #expect(abs(r.relativeError - dense) <= 1e-12 * max(dense, 1e-300) + 1e-15)
            let rtn = denseRelativeError(chain, chain.map { $0.replacingValues(bf16.round($0.values)) })
            #expect(abs(r.rtnRelativeError - rtn) <= 1e-12 * rtn)
            for (f, q) in zip(chain, r.factors) {
                #expect(f.rows == q.rows && f.columns == q.columns)
                #expect(q.values.allSatisfy { bf16.round($0) == $0 })
            }
        }
    }

    @Test("pairwise on a butterfly pair equals the per-term rank-one optima")
    func pairwiseIsRankOne() throws {
        var rng = SeededGenerator(seed: 5)
        let x = randomSparse(8, 8, &rng, butterflyPattern(1, 3)), y = randomSparse(8, 8, &rng, butterflyPattern(2, 3))
        let e4m3 = try FormatCatalog.grid(named: "e4m3")
        let r = try SparseChain.quantize([x, y], grid: e4m3, method: .pairwise)
        #expect(r.rankOneProblems == 8)
        // Σ_i ‖x_i y_iᵀ − x̂_i ŷ_iᵀ‖² over the independent terms.
        let (cs, co) = x.columnIndex(), (rs, ro) = y.rowIndex()
        var err = 0.0
        for i in 0..<8 {
            let xi = co[cs[i]..<cs[i + 1]].map { x.values[$0] }, yi = ro[rs[i]..<rs[i + 1]].map { y.values[$0] }
            let t = try RankOne.quantize(x: xi, y: yi, grid: e4m3)
            let n2 = xi.reduce(0) { $0 + $1 * $1 } * yi.reduce(0) { $0 + $1 * $1 }
            err += t.relativeError * t.relativeError * n2
        }
        let ref = denseProduct([x, y]).reduce(0) { $0 + $1 * $1 }
        #expect(abs(r.relativeError - (err / ref).squareRoot()) <= 1e-10 * r.relativeError)
        #expect(r.relativeError <= r.rtnRelativeError)
    }

    @Test("pairwise equals brute force over the whole pair on tiny grids", arguments: ["int3", "e2m1"])
    func bruteForcePair(format: String) throws {
        let grid = try FormatCatalog.grid(named: format)
        let values = grid.nonNegativeValues()!
        let signed = values + values.dropFirst().map { -$0 }
        var rng = SeededGenerator(seed: 11)
        // X: 2×2 dense (int3) or 1×2 (e2m1); Y: row 0 → column 0, row 1 → columns 1, 2. Two disjoint terms.
        let xRows = format == "int3" ? 2 : 1
        for _ in 0..<3 {
            let x = randomSparse(xRows, 2, &rng) { _, _ in true }
            let y = try SparseMatrix(rowCount: 2, columnCount: 3, rows: [0, 1, 1], columns: [0, 1, 2],
                                     values: (0..<3).map { _ in rng.nextGaussian() })
            let r = try SparseChain.quantize([x, y], grid: grid, method: .pairwise)
            // Exhaustive search over all entries of both factors; the product entry of each (x, y) entry pair
            // with matching inner index is precomputed.
            var triples: [(xe: Int, ye: Int, p: Int)] = []
            for xe in 0..<x.entryCount { for ye in 0..<y.entryCount where x.columns[xe] == y.rows[ye] {
                triples.append((xe, ye, x.rows[xe] * 3 + y.columns[ye]))
            } }
            let ref = denseProduct([x, y])
            let slots = x.entryCount + y.entryCount
            var code = [Int](repeating: 0, count: slots)
            var cand = [Double](repeating: signed[0], count: slots)
            var prod = [Double](repeating: 0, count: ref.count)
            var best = Double.infinity
            outer: while true {
                for k in 0..<prod.count { prod[k] = 0 }
                for t in triples { prod[t.p] += cand[t.xe] * cand[x.entryCount + t.ye] }
                var e = 0.0
                for k in 0..<prod.count { e += (ref[k] - prod[k]) * (ref[k] - prod[k]) }
                if e < best { best = e }
                var s = 0
                while s < slots {
                    code[s] += 1
                    if code[s] < signed.count { cand[s] = signed[code[s]]; continue outer }
                    code[s] = 0
                    cand[s] = signed[0]
                    s += 1
                }
                break
            }
            let bestRel = (best / ref.reduce(0) { $0 + $1 * $1 }).squareRoot()
            #expect(abs(r.relativeError - bestRel) <= 1e-12 + 1e-9 * bestRel, "\(format)")
        }
    }

    @Test("overlapping terms: pairwise throws, l2r falls back")
    func overlapping() throws {
        var rng = SeededGenerator(seed: 7)
        let x = randomSparse(3, 3, &rng) { _, _ in true }, y = randomSparse(3, 3, &rng) { _, _ in true }
        let g = try FormatCatalog.grid(named: "bf16")
        #expect(throws: SparseFactorError.self) { try SparseChain.quantize([x, y], grid: g, method: .pairwise) }
        let r = try SparseChain.quantize([x, y, x], grid: g, method: .leftToRight)
        #expect(!r.lastPairOptimal)
        #expect(r.relativeError.isFinite)
        #expect(abs(r.relativeError - denseRelativeError([x, y, x], r.factors)) <= 1e-12)
    }

    /// Sizes 2^L with L even: with L odd the product has entries ±2^(−L/2), irrational, so no chain of grid values
    /// reproduces it exactly.
    @Test("orthonormal Hadamard (constant geometry) is exact for pairwise and l2r, not for RTN",
          arguments: ["e4m3", "bf16", "fp16"])
    func hadamard(format: String) throws {
        let g = try FormatCatalog.grid(named: format)
        for n in [2, 4, 16, 64] {  // larger sizes (1024) run in the Python tests, on the release build
            let chain = whtFactors(n, scale: 1 / 2.0.squareRoot())
            for method in [SparseChain.Method.pairwise, .leftToRight] {
                let r = try SparseChain.quantize(chain, grid: g, method: method)
                if n > 2 {
                    #expect(r.relativeError < 1e-12, "\(format) n=\(n) \(method)")
                    #expect(r.rtnRelativeError > 1e-4)
                }
                #expect(r.lastPairOptimal || n == 2)
            }
        }
    }

    @Test("pairwise error is invariant under diagonal rescaling inside the pair")
    func invariance() throws {
        var rng = SeededGenerator(seed: 9)
        let x = randomSparse(8, 8, &rng, butterflyPattern(1, 3)), y = randomSparse(8, 8, &rng, butterflyPattern(2, 3))
        let d = (0..<8).map { _ in [1.0, 128, 4096, 0.3, 7.5][Int(rng.next() % 5)] }
        let xs = x.replacingValues((0..<x.entryCount).map { x.values[$0] * d[x.columns[$0]] })
        let ys = y.replacingValues((0..<y.entryCount).map { y.values[$0] / d[y.rows[$0]] })
        for format in ["e4m3", "int4", "p=5"] {
            let g = try FormatCatalog.grid(named: format)
            let a = try SparseChain.quantize([x, y], grid: g, method: .pairwise).relativeError
            let b = try SparseChain.quantize([xs, ys], grid: g, method: .pairwise).relativeError
            #expect(abs(a - b) <= 1e-9 * max(a, 1e-12), "\(format)")
        }
    }

    @Test("l2r on random butterflies beats RTN on average, odd chains and single factors work")
    func leftToRightRandom() throws {
        var rng = SeededGenerator(seed: 13)
        let g = try FormatCatalog.grid(named: "e4m3")
        var wins = 0
        for _ in 0..<4 {
            let chain = (1...5).map { randomSparse(32, 32, &rng, butterflyPattern($0, 5)) }
            let r = try SparseChain.quantize(chain, grid: g, method: .leftToRight)
            if r.relativeError < r.rtnRelativeError { wins += 1 }
            let p = try SparseChain.quantize(chain, grid: g, method: .pairwise)
            #expect(p.rankOneProblems == 64)
        }
        #expect(wins >= 3)
        let single = [randomSparse(4, 3, &rng) { _, _ in true }]
        for method in SparseChain.Method.allCases {
            let r = try SparseChain.quantize(single, grid: g, method: method)
            #expect(abs(r.relativeError - r.rtnRelativeError) <= 1e-15)
        }
    }

    @Test("large products use seeded probes; the estimate is close to the exact error")
    func probes() throws {
        var rng = SeededGenerator(seed: 21)
        let n = 5000
        let x = randomSparse(n, 1, &rng) { _, _ in true }, y = randomSparse(1, n, &rng) { _, _ in true }
        let g = try FormatCatalog.grid(named: "e4m3")
        let r = try SparseChain.quantize([x, y], grid: g, method: .rtn)
        #expect(!r.errorIsExact)
        let exact = RankOne.relativeError(x.values, y.values, g.round(x.values), g.round(y.values))
        #expect(r.relativeError > exact / 2 && r.relativeError < exact * 2)
    }

    @Test("shape mismatch and empty chains are errors")
    func shapes() throws {
        let a = try SparseMatrix(rowCount: 2, columnCount: 3, rows: [], columns: [], values: [])
        let g = try FormatCatalog.grid(named: "bf16")
        #expect(throws: SparseFactorError.shapeMismatch(index: 0, columns: 3, nextRows: 2)) {
            try SparseChain.quantize([a, a], grid: g, method: .rtn)
        }
        #expect(throws: SparseFactorError.emptyChain) { try SparseChain.quantize([], grid: g, method: .rtn) }
    }
}
