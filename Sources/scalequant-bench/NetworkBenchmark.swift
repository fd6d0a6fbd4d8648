import ScaleQuant

/// Time to quantize a ≈1.46M-parameter MLP (784-1024-512-256-10, He init, seed 1) with each method, a hash of
/// each quantized network (to compare versions of the code bit for bit), and per-solve figures of the exact
/// rank-one solver (``RankOneStatistics``): CPU time per solve, binades of the scale swept and pruned, states
/// evaluated, y-table entries built, and how often the F_p shortcut was tried and succeeded.
enum NetworkBenchmark {
    static let benchmark = Benchmark(
        name: "network",
        summary: "quantize a 784-1024-512-256-10 MLP (1.46M parameters) at e4m3 with rtn, cle, l2r, cd (3 sweeps)",
        run: {
            // Optional: scalequant-bench network FORMAT WIDTHS SWEEPS (e.g. e2m1 512-1024-512-10 5)
            let args = Array(CommandLine.arguments.dropFirst(2))
            let format = args.count > 0 ? args[0] : "e4m3"
            let widths = args.count > 1 ? args[1].split(separator: "-").compactMap { Int($0) } : [784, 1024, 512, 256, 10]
            let sweeps = args.count > 2 ? Int(args[2]) ?? 3 : 3
            run(format: format, widths: widths, sweeps: sweeps)
        }
    )

    static func run(format: String, widths: [Int], sweeps: Int) {
        let net = GraphNetwork.randomPerceptron(widths: widths, seed: 1)
        let grid = try! FormatCatalog.grid(named: format)
        print("network: \(widths.map(String.init).joined(separator: "-")), \(net.parameterCount) parameters, "
              + "format \(format); one run each; cd capped at \(sweeps) sweeps; relative = ||Phi - Phi_hat||_2 / ||Phi||_2")
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = sweeps
        var table = RowPrinter(["method", "seconds", "relative l2 path-metric", "sweeps", "hash"])
        var solver = RowPrinter(["method", "solves", "solver CPU s", "CPU ms/solve", "binades/solve",
                                 "pruned/solve", "pieces/solve", "y entries/solve", "F_p hits/tried"])
        for method in [QuantizationMethod.rtn, .cle, .leftToRight, .coordinateDescent] {
            var result: GraphQuantizationResult?
            RankOneStatistics.reset()
            let t = Timing.seconds {
                result = try! GraphQuantizer.quantize(net, method: method, grids: GraphGridSpec(weights: .fixed(grid)),
                                                      options: options)
            }
            let r = result!
            var h = DigestBenchmark.Hash()
            for node in r.network.nodes where node.operation.isAffine { h.add(node.weight); h.add(node.bias) }
            table.add([method.rawValue, fixed(t, 3), sci(r.relativeL2PathMetric), "\(r.sweeps)", h.text])
            let st = RankOneStatistics.snapshot()
            if st.solves > 0 {
                let n = Double(st.solves)
                solver.add([method.rawValue, "\(st.solves)", fixed(st.seconds, 2), fixed(st.seconds / n * 1e3, 3),
                            fixed(Double(st.binades) / n, 1), fixed(Double(st.prunedBinades) / n, 1),
                            fixed(Double(st.pieces) / n, 0), fixed(Double(st.tableEntries) / n, 0),
                            "\(st.shortcutHits)/\(st.shortcutTried)"])
            }
        }
        let rounded = try! GraphQuantizer.quantize(net, method: .rtn, grids: GraphGridSpec(weights: .fixed(grid))).network
        let timePath = Timing.seconds { _ = try! GraphPathLifting.l2PathMetric(net, rounded) }
        table.print()
        print("")
        print("rank-one solver (RankOneStatistics: thread CPU time summed over threads; cd includes its l2r start;")
        print("binades: considered per solve, the F_p attempt counting one; pieces: states evaluated):")
        solver.print()
        print("one l2 path-metric evaluation (with normal forms): \(fixed(timePath, 3)) s")
    }
}
