import Testing
@testable import ScaleQuant

@Suite("Hierarchical butterfly factorization")
struct ButterflyFactorizationTests {
    @Test(arguments: [2, 4, 8, 16, 32, 64])
    func recoversRandomButterflyProducts(n: Int) throws {
        let chain = try ButterflyChain.random(n, seed: UInt64(100 + n))
        let a = chain.dense()
        let f = try ButterflyFactorization(matrix: a, size: n)
        #expect(f.chain.isSquareDyadic)
        #expect(f.relativeError < 1e-10)
        #expect(ButterflyMetrics.relativeError(a, f.chain.dense()) == f.relativeError)
    }

    @Test(arguments: [8, 16, 64])
    func recoversHadamard(n: Int) throws {
        let f = try ButterflyFactorization(matrix: sylvester(n), size: n)
        #expect(f.relativeError < 1e-14)
    }

    @Test func reportsErrorOnRandomDense() throws {
        var rng = SeededGenerator(seed: 3)
        let n = 16
        let f = try ButterflyFactorization(matrix: rng.gaussians(n * n), size: n)
        #expect(f.relativeError > 0.1 && f.relativeError < 1)
    }

    @Test func zeroMatrixAndBadInput() throws {
        let z = try ButterflyFactorization(matrix: [Double](repeating: 0, count: 64), size: 8)
        #expect(z.relativeError == 0)
        #expect(throws: ButterflyError.self) { try ButterflyFactorization(matrix: [1, 2, 3], size: 3) }
        #expect(throws: ButterflyError.self) { try ButterflyFactorization(matrix: [1, 2, 3], size: 2) }
        #expect(throws: ButterflyError.self) { try ButterflyFactorization(matrix: [1, .nan, 3, 4], size: 2) }
    }
}
