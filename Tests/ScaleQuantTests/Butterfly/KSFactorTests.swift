import Testing
@testable import ScaleQuant

@Suite("Kronecker-sparse factors and chains")
struct KSFactorTests {
    static let patterns: [(Int, Int, Int, Int)] = [(1, 2, 2, 1), (2, 3, 2, 2), (3, 1, 4, 2), (1, 4, 3, 5), (2, 2, 2, 4)]

    @Test func denseApplyTransposeMatchNaive() throws {
        for (n, p) in Self.patterns.enumerated() {
            let f = try randomFactor(p, seed: UInt64(n + 1))
            let dense = naiveDense(f)
            #expect(f.dense() == dense)
            var rng = SeededGenerator(seed: 99)
            let k = 3
            let x = rng.gaussians(f.columnCount * k)
            #expect(maxDiff(f.apply(matrix: x, columns: k), naiveMatmul(dense, x, f.rowCount, f.columnCount, k)) < 1e-12)
            let v = Array(x[0..<f.columnCount])
            #expect(maxDiff(f.apply(v), naiveMatmul(dense, v, f.rowCount, f.columnCount, 1)) < 1e-12)
            let t = f.transposed()
            #expect(t.pattern == (p.0, p.2, p.1, p.3))
            let td = t.dense()
            for r in 0..<f.rowCount { for c in 0..<f.columnCount { #expect(td[c * f.rowCount + r] == dense[r * f.columnCount + c]) } }
            #expect(t.transposed() == f)
        }
    }

    @Test func supportsListTheNonzeros() throws {
        let f = try randomFactor((2, 3, 2, 2), seed: 5)
        let dense = f.dense()
        for j in 0..<f.columnCount {
            let (rows, idx) = f.columnSupport(j)
            #expect(rows.count == f.b)
            for (r, i) in zip(rows, idx) { #expect(dense[r * f.columnCount + j] == f.values[i]) }
            let nonzero = (0..<f.rowCount).filter { dense[$0 * f.columnCount + j] != 0 }
            #expect(nonzero == rows)
        }
        for i in 0..<f.rowCount {
            let (cols, idx) = f.rowSupport(i)
            for (c, k) in zip(cols, idx) { #expect(dense[i * f.columnCount + c] == f.values[k]) }
            #expect((0..<f.columnCount).filter { dense[i * f.columnCount + $0] != 0 } == cols)
        }
    }

    @Test func badPatternsAreRejected() {
        #expect(throws: ButterflyError.self) { try KSFactor(a: 0, b: 2, c: 2, d: 1, values: []) }
        #expect(throws: ButterflyError.self) { try KSFactor(a: 1, b: 2, c: 2, d: 1, values: [1, 2, 3]) }
        #expect(throws: ButterflyError.self) { try ButterflyChain.squareDyadic(12) }
        #expect(throws: ButterflyError.self) { try ButterflyChain.squareDyadic(1) }
        #expect(throws: ButterflyError.self) {
            try ButterflyChain(factors: [KSFactor(zerosWithPattern: (1, 2, 2, 1)), KSFactor(zerosWithPattern: (1, 3, 3, 1))])
        }
    }

    @Test func squareDyadicShapesAndProduct() throws {
        for n in [2, 4, 8, 16, 32] {
            let chain = try ButterflyChain.random(n, seed: UInt64(n))
            #expect(chain.factors.count == n.trailingZeroBitCount)
            #expect(chain.isSquareDyadic)
            for (l, f) in chain.factors.enumerated() {
                #expect(f.pattern == (1 << l, 2, 2, n >> (l + 1)))
                #expect(f.rowCount == n && f.columnCount == n && f.nonzeroCount == 2 * n)
            }
            var product = naiveDense(chain.factors[0])
            for f in chain.factors.dropFirst() { product = naiveMatmul(product, naiveDense(f), n, n, n) }
            #expect(maxDiff(chain.dense(), product) < 1e-12 * Double(n))
            var rng = SeededGenerator(seed: 7)
            let x = rng.gaussians(n)
            #expect(maxDiff(chain.apply(x), naiveMatmul(product, x, n, n, 1)) < 1e-12 * Double(n))
            let t = chain.transposed().dense()
            for i in 0..<n { for j in 0..<n { #expect(abs(t[j * n + i] - product[i * n + j]) < 1e-12 * Double(n)) } }
        }
        // The first factor couples i and i + N/2, the last 2i and 2i + 1.
        let c = try ButterflyChain.random(8, seed: 1)
        #expect(c.factors[0].columnSupport(0).rows == [0, 4])
        #expect(c.factors[2].columnSupport(0).rows == [0, 1])
    }

    @Test func hadamardIsSylvester() throws {
        for n in [2, 4, 8, 16, 64] {
            let h = try ButterflyChain.hadamard(n)
            #expect(h.factors.allSatisfy { $0.values.allSatisfy { abs($0) == 1 } })
            #expect(h.dense() == sylvester(n))
            let w = try ButterflyChain.walshHadamard(n).dense()
            let scale = 1 / Double(n).squareRoot()
            #expect(maxDiff(w, sylvester(n).map { $0 * scale }) < 1e-14)
        }
    }

    @Test func monarchPatterns() throws {
        let m = try ButterflyChain.monarch(16, p: 4, q: 4)
        #expect(m.factors[0].pattern == (1, 4, 4, 4) && m.factors[1].pattern == (4, 4, 4, 1))
        #expect(m.rowCount == 16 && m.columnCount == 16)
    }
}
