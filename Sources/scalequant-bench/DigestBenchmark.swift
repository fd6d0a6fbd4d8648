import ScaleQuant

/// A fingerprint of the solvers' answers on many seeded problems, to compare two versions of the code bit for bit
/// (a speed-up of the rank-one sweep must not change any answer): `scalequant-bench digest` prints one hash per
/// group; with `DIGEST_VERBOSE=1` in the environment, one line per problem.
enum DigestBenchmark {
    static let benchmark = Benchmark(
        name: "digest",
        summary: "hashes of rank-one and network answers on seeded problems (for bit-for-bit comparisons)",
        run: { run() }
    )

    /// FNV-style hash of a sequence of doubles (bit patterns).
    struct Hash {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func add(_ x: Double) { h = (h ^ x.bitPattern) &* 0x100_0000_01b3; h ^= h >> 31 }
        mutating func add(_ v: [Double]) { for x in v { add(x) } }
        var text: String { String(h, radix: 16) }
    }

    static var verbose: Bool {
        if let v = getenv("DIGEST_VERBOSE") { return String(cString: v) == "1" }
        return false
    }

    /// A random vector with `count` entries, magnitudes spread over ±`range` binades, some zeros, duplicates and
    /// grid values.
    static func vector(_ rng: inout SeededGenerator, _ count: Int, range: Double, grid: any NumberGrid) -> [Double] {
        var v = (0..<count).map { _ -> Double in
            let e = range * (2 * rng.nextUnit() - 1)
            return rng.nextGaussian() * Double(sign: .plus, exponent: Int(e.rounded()), significand: 1) * (1 + rng.nextUnit())
        }
        for i in 0..<count {
            switch rng.next() % 16 {
            case 0: v[i] = 0
            case 1: if i > 0 { v[i] = v[i - 1] }
            case 2: v[i] = grid.round(v[i])
            case 3: if i > 0 { v[i] = -v[i - 1] }
            default: break
            }
        }
        if v.allSatisfy({ $0 == 0 }) { v[0] = 1 }
        return v
    }

    static func run() {
        let names = ["e4m3", "e5m2", "e2m1", "e3m2", "e2m3", "bf16", "fp16", "e4m3fnuz", "p=4", "p=3", "int4",
                     "int8@0.1"]
        let verbose = Self.verbose
        var total = Hash()
        var pieces = 0
        var table = RowPrinter(["group", "problems", "hash"])
        for (gi, name) in names.enumerated() {
            let grid = try! FormatCatalog.grid(named: name)
            var rng = SeededGenerator(seed: 1000 + UInt64(gi))
            var hw = Hash(), hq = Hash(), hk = Hash()
            var count = 0
            let heavy = name == "bf16" || name == "fp16"
            for trial in 0..<(heavy ? 60 : 240) {
                let big = trial % 40 == 39
                let m = big ? 200 + Int(rng.next() % 300) : 1 + Int(rng.next() % 40)
                let n = big ? 200 + Int(rng.next() % 300) : 1 + Int(rng.next() % 40)
                let range = [0.0, 2, 6, 14, 30][trial % 5]
                let a = vector(&rng, m, range: range, grid: grid), b = vector(&rng, n, range: range / 2, grid: grid)
                let wr = trial % 3 == 0 ? 0.0 : 8.0
                let c = (0..<m).map { _ in (0.1 + 3 * rng.nextUnit()) * Double(sign: .plus, exponent: Int((wr * (2 * rng.nextUnit() - 1)).rounded()), significand: 1) }
                let d = (0..<n).map { _ in (0.1 + 3 * rng.nextUnit()) * Double(sign: .plus, exponent: Int((wr * (2 * rng.nextUnit() - 1)).rounded()), significand: 1) }
                var one = Hash()
                if let w = try? RankOne.solveWeighted(a: a, c: c, b: b, d: d, gridX: grid, gridY: grid) {
                    one.add(w.xHat); one.add(w.yHat); one.add([w.lambda, w.mu, w.objective])
                    pieces += w.pieces
                } else { one.add(-1) }
                hw.add(Double(bitPattern: one.h))
                var two = Hash()
                if let q = try? RankOne.quantize(x: a, y: b, grid: grid) {
                    two.add(q.xHat); two.add(q.yHat); two.add([q.lambda, q.mu, q.relativeError])
                    pieces += q.pieces
                } else { two.add(-1) }
                hq.add(Double(bitPattern: two.h))
                var three = Hash()
                if let k = try? RankOne.quantizeKeepingY(x: a, grid: grid) {
                    three.add(k.xHat); three.add([k.lambda, k.mu])
                    pieces += k.pieces
                } else { three.add(-1) }
                hk.add(Double(bitPattern: three.h))
                count += 1
                if verbose { print("\(name) trial \(trial) m=\(m) n=\(n): \(one.text) \(two.text) \(three.text)") }
            }
            table.add(["\(name) weighted", "\(count)", hw.text])
            table.add(["\(name) quantize", "\(count)", hq.text])
            table.add(["\(name) keep-y", "\(count)", hk.text])
            total.add(Double(bitPattern: hw.h)); total.add(Double(bitPattern: hq.h)); total.add(Double(bitPattern: hk.h))
        }
        // Networks: l2r and cd on small MLPs.
        let specs: [(String, GraphGridSpec)] = [
            ("e4m3", try! GraphGridSpec(format: "e4m3")), ("e3m2", try! GraphGridSpec(format: "e3m2")),
            ("e2m1", try! GraphGridSpec(format: "e2m1")),
            ("int4", GraphGridSpec(weights: .integerPerLayer(bits: 4), biases: .integerPerLayer(bits: 8))),
            ("e4m3/e5m2", try! GraphGridSpec(format: "e4m3", biasFormat: "e5m2")),
        ]
        for (si, (label, spec)) in specs.enumerated() {
            for widths in [[20, 40, 30, 10], [64, 96, 48, 10]] {
                let net = try! GraphNetwork.randomPerceptron(widths: widths, seed: 77 + UInt64(si))
                    .randomlyRescaled(choices: [1, 128, 4096], seed: 5).network
                var options = GraphCoordinateDescentOptions()
                options.maxSweeps = 4
                for method in [QuantizationMethod.leftToRight, .coordinateDescent] {
                    var h = Hash()
                    if let r = try? GraphQuantizer.quantize(net, method: method, grids: spec, options: options) {
                        for node in r.network.nodes where node.operation.isAffine { h.add(node.weight); h.add(node.bias) }
                        h.add(r.history)
                    } else { h.add(-1) }
                    let tag = "net \(widths.map(String.init).joined(separator: "-")) \(label) \(method.rawValue)"
                    table.add([tag, "1", h.text])
                    total.add(Double(bitPattern: h.h))
                }
            }
        }
        table.print()
        print("total \(total.text)   (pieces evaluated: \(pieces), not hashed)")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
