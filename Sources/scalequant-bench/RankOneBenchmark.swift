import Foundation
import ScaleQuant

/// Time per exact rank-one problem (docs/Theory.md §2) for growing m = n, on F_p and on real formats, beside
/// lazylinop's `qrank_one` on the same inputs in the same run (``LazylinopAnchor``).
enum RankOneBenchmark {
    static let benchmark = Benchmark(
        name: "rank1",
        summary: "exact optimal rank-one quantization vs lazylinop: seconds per problem, m = n ∈ {16…4096}",
        run: {
            // Optional: scalequant-bench rank1 FORMAT[,FORMAT…] SIZE[,SIZE…]
            let args = Array(CommandLine.arguments.dropFirst(2))
            let f = args.count > 0 ? args[0].split(separator: ",").map(String.init) : formats
            let s = args.count > 1 ? args[1].split(separator: ",").compactMap { Int($0) } : [16, 64, 256, 1024, 4096]
            run(formats: f, sizes: s)
        }
    )

    static let formats = ["p=4", "p=8", "p=11", "e4m3", "bf16", "fp16"]

    /// lazylinop is run up to this size (`LAZYLINOP_MAX_M`, default 1024: at 4096 it takes minutes per format).
    static var lazylinopMaxM: Int {
        ProcessInfo.processInfo.environment["LAZYLINOP_MAX_M"].flatMap { Int($0) } ?? 1024
    }

    static func run(formats: [String], sizes: [Int]) {
        print("rank1: x, y standard Gaussian (seed 7 + m), m = n; ours = best of up to 3 runs (1 at m ≥ 1024)")
        if let missing = LazylinopAnchor.missingReason {
            print("lazylinop: comparison skipped: \(missing)")
        }
        var table = RowPrinter(["format", "m=n", "ours s", "pieces", "ns/piece", "opt/rtn", "lazylinop s", "speedup",
                                "ours err", "lazylinop err", "ours ≤ theirs"])
        for m in sizes {
            var rng = SeededGenerator(seed: 7 &+ UInt64(m))
            let x = rng.gaussians(m), y = rng.gaussians(m)
            let anchor = m <= lazylinopMaxM ? LazylinopAnchor.run(x: x, y: y, formats: formats) : [:]
            for name in formats {
                let grid = try! FormatCatalog.grid(named: name)
                var result: RankOneResult?
                let t = Timing.bestOf(m >= 1024 ? 1 : 3) { result = try! RankOne.quantize(x: x, y: y, grid: grid) }
                let r = result!
                var cells = [name, "\(m)", sci(t), "\(r.pieces)", fixed(t / Double(max(r.pieces, 1)) * 1e9, 1),
                             fixed(r.relativeError / r.rtnRelativeError, 4)]
                if let a = anchor[name] {
                    cells += [sci(a.seconds), fixed(a.seconds / t, 1), sci(r.relativeError), sci(a.error),
                              r.relativeError <= a.error * (1 + 1e-9) ? "yes" : "NO"]
                } else {
                    cells += ["-", "-", sci(r.relativeError), "-", "-"]
                }
                table.add(cells)
            }
        }
        table.print()
    }
}
