import Foundation
import Testing
@testable import ScaleQuant

/// Golden answers of the chain quantizers, recorded from the code before the two implementations were merged
/// (`Fixtures/chains/golden.txt`, one line per chain, format and method): the FNV-1a digest of the quantized
/// values' bit patterns (factor by factor, in `KSFactor` value order) and the relative error of the product, once
/// for the CLI's path (`scalequant butterfly`) and once for the C interface's path (`sq_quantize_factors`,
/// hence Python's `quantize_factors`).
enum ChainGolden {
    /// The seeded chains of the golden file, by name.
    static func chains() throws -> [(name: String, chain: ButterflyChain)] {
        var monarch = try ButterflyChain.monarch(24, p: 4, q: 6)
        var rng = SeededGenerator(seed: 5)
        for k in monarch.factors.indices { monarch.factors[k].values = rng.gaussians(monarch.factors[k].nonzeroCount) }
        // Values spread over 2^±20: exercises the rank-one solver's bounded-format fallbacks.
        var spread = try ButterflyChain.random(32, seed: 9)
        var exponents = SeededGenerator(seed: 17)
        for k in spread.factors.indices {
            for i in spread.factors[k].values.indices {
                spread.factors[k].values[i] *= Double(sign: .plus, exponent: Int(exponents.next() % 41) - 20, significand: 1)
            }
        }
        return [("random16s1", try .random(16, seed: 1)), ("random64s7", try .random(64, seed: 7)),
                ("random128s3", try .random(128, seed: 3)), ("monarch24", monarch),
                ("dct16", try ButterflyFactorization(matrix: ButterflyExperiment.dct2(16), size: 16).chain),
                ("wht16", try .walshHadamard(16)), ("spread32", spread)]
    }

    /// The formats of the golden file.
    static let formats = ["e4m3", "bf16", "p=4", "int8", "e2m1", "fp16"]

    /// FNV-1a over the bit patterns of every value, factor by factor.
    static func digest(_ c: ButterflyChain) -> String {
        String(c.factors.reduce(fnv1a([])) { fnv1a($1.values, $0) }, radix: 16)
    }

    /// "digest error" of a result (the error printed with 17 significant digits).
    static func cell(_ original: ButterflyChain, _ q: ButterflyChain) -> String {
        digest(q) + " " + String(format: "%.17g", ButterflyMetrics.relativeError(original, q))
    }

    /// The factors as COO matrices: every support position, in `KSFactor` value order.
    static func coo(_ c: ButterflyChain) -> [SparseMatrix] {
        c.factors.map { f in
            var r: [Int] = [], cc: [Int] = [], v: [Double] = []
            for ia in 0..<f.a { for ib in 0..<f.b { for ic in 0..<f.c { for id in 0..<f.d {
                r.append(ia * f.b * f.d + ib * f.d + id)
                cc.append(ia * f.c * f.d + ic * f.d + id)
                v.append(f.values[f.valueIndex(ia, ib, ic, id)])
            } } } }
            return try! SparseMatrix(rowCount: f.rowCount, columnCount: f.columnCount, rows: r, columns: cc, values: v)
        }
    }

    /// The golden lines: key "chain format method" → the recorded cells.
    static func recorded() throws -> [String: [String]] {
        let path = try TestFixtures.path("chains", "golden.txt")
        var out: [String: [String]] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 7 else { throw FixtureError("\(path): malformed line \(line)") }
            out[f[0..<3].joined(separator: " ")] = Array(f[3...])
        }
        return out
    }
}

@Suite("Chain quantization: golden answers")
struct ChainGoldenTests {
    @Test("both paths reproduce the recorded answers for every chain, format and method")
    func goldens() throws {
        let golden = try ChainGolden.recorded()
        var checked = 0
        for (name, chain) in try ChainGolden.chains() {
            let sparse = ChainGolden.coo(chain)
            for format in ChainGolden.formats {
                let grid = try FormatCatalog.grid(named: format)
                for m in ButterflyMethod.allCases {
                    let key = "\(name) \(format) \(m)"
                    let cells = try #require(golden[key], "\(key) missing from the golden file")
                    let cli = try ButterflyQuantizer.quantize(chain, grid: grid, method: m)
                    #expect(ChainGolden.cell(chain, cli) == cells[0] + " " + cells[1], "CLI path, \(key)")
                    let r = try SparseChain.quantize(sparse, grid: grid, method: SparseChain.Method(rawValue: m.rawValue)!,
                                                     computeError: false)
                    var c = chain
                    for k in c.factors.indices { c.factors[k].values = r.factors[k].values }
                    #expect(ChainGolden.cell(chain, c) == cells[2] + " " + cells[3], "C path, \(key)")
                    checked += 1
                }
            }
        }
        #expect(checked == golden.count && checked == 7 * 6 * 4)
    }
}
