import ScaleQuant

/// Per-solve figures of the weighted rank-one step of coordinate descent (docs/Theory.md §4), on the subproblems of the
/// benchmark network: for a sample of hidden neurons of each layer, the weights a = x⊙G, c = M̂, b = y⊙F, d = N̂
/// are built from the network and its RTN quantization exactly as `cd` builds them, and each subproblem is
/// solved on one thread (`parallel: false`, as `cd` does), with and without the pruning of binades (the answers
/// must agree bit for bit; the run stops with an error otherwise).
enum SolvesBenchmark {
    static let benchmark = Benchmark(
        name: "solves",
        summary: "per-solve time of cd's weighted rank-one subproblems on the 784-1024-512-256-10 MLP (e4m3)",
        run: {
            // Optional: scalequant-bench solves FORMAT WIDTHS PER_LAYER (e.g. e3m2 784-1024-512-256-10 64)
            let args = Array(CommandLine.arguments.dropFirst(2))
            let format = args.count > 0 ? args[0] : "e4m3"
            let widths = args.count > 1 ? args[1].split(separator: "-").compactMap { Int($0) } : [784, 1024, 512, 256, 10]
            let perLayer = args.count > 2 ? Int(args[2]) ?? 96 : 96
            run(format: format, widths: widths, perLayer: perLayer)
        }
    )

    /// One subproblem: the weights of the weighted rank-one form (coordinates with zero weight removed).
    struct Problem {
        var a: [Double], c: [Double], b: [Double], d: [Double]
    }

    /// The subproblems of `perLayer` evenly spaced neurons of each hidden layer, for the network `net` and its
    /// quantization `q`, as `cd` builds them (``GraphQuantizer/perceptronSubproblems(_:_:perLayer:)``).
    static func problems(_ net: GraphNetwork, _ q: GraphNetwork, perLayer: Int) -> [(layer: Int, problem: Problem)] {
        GraphQuantizer.perceptronSubproblems(net, q, perLayer: perLayer)!.map {
            ($0.layer, Problem(a: $0.a, c: $0.c, b: $0.b, d: $0.d))
        }
    }

    static func run(format: String, widths: [Int], perLayer: Int) {
        let net = GraphNetwork.randomPerceptron(widths: widths, seed: 1)
        let grid = try! FormatCatalog.grid(named: format)
        let q = try! GraphQuantizer.quantize(net, method: .rtn, grids: GraphGridSpec(weights: .fixed(grid))).network
        let all = problems(net, q, perLayer: perLayer)
        print("solves: \(widths.map(String.init).joined(separator: "-")) at \(format), cd's subproblems against RTN, "
              + "\(perLayer) neurons per hidden layer; one thread; CPU time per solve")
        var table = RowPrinter(["layer", "m", "n", "problems", "ms/solve", "ms/solve unpruned", "F_p hits",
                                "binades", "pruned", "pieces", "y entries"])
        for layer in 0..<(widths.count - 2) {
            let ps = all.filter { $0.layer == layer }.map(\.problem)
            guard !ps.isEmpty else { continue }
            var results: [[RankOne.WeightedResult]] = [[], []]
            var times = [0.0, 0.0]
            var stats = RankOneStatistics.snapshot()
            for (v, prune) in [true, false].enumerated() {
                RankOneStatistics.reset()
                for p in ps {
                    let r = try! RankOne.solveWeighted(a: p.a, c: p.c, b: p.b, d: p.d, gridX: grid, gridY: grid,
                                                       parallel: false, prune: prune)
                    results[v].append(r)
                }
                let s = RankOneStatistics.snapshot()
                times[v] = s.seconds
                if prune { stats = s }
            }
            for (x, y) in zip(results[0], results[1]) where x.xHat != y.xHat || x.yHat != y.yHat || x.lambda != y.lambda {
                fatalError("pruned and unpruned answers differ (layer \(layer))")
            }
            let n = Double(ps.count)
            let swept = Double(stats.binades - stats.prunedBinades) / n, considered = Double(stats.binades) / n
            var row: [String] = ["\(layer)", "\(ps[0].a.count)", "\(ps[0].b.count)", "\(ps.count)"]
            row.append(fixed(times[0] / n * 1e3, 3))
            row.append(fixed(times[1] / n * 1e3, 3))
            row.append("\(stats.shortcutHits)/\(stats.shortcutTried)")
            row.append(fixed(swept, 1) + "/" + fixed(considered, 1))
            row.append(fixed(Double(stats.prunedBinades) / n, 1))
            row.append(fixed(Double(stats.pieces) / n, 0))
            row.append(fixed(Double(stats.tableEntries) / n, 0))
            table.add(row)
        }
        table.print()
        print("binades: swept/considered per solve (the F_p attempt counts one); pieces: states evaluated")
    }
}
