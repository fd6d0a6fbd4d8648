import ArgumentParser
import Foundation
import ScaleQuant

/// `scalequant experiment butterfly`: RTN vs pairwise vs left-to-right vs right-to-left on random Gaussian
/// square-dyadic butterflies over F_p, bits saved at equal error, and the DCT-II; writes CSV and SVG files.
struct ExperimentButterflyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "butterfly",
        abstract: "Butterfly quantization: mean error per (N, p, method) on random butterflies, and the DCT-II.",
        discussion: """
            For each size N, --draws random square-dyadic butterflies with i.i.d. N(0,1) values are quantized \
            to the idealized grid F_p (p significant bits, unbounded exponent) for every p with RTN, pairwise \
            (hal-04125381 Alg. 7.2), l2r and r2l (Alg. 7.3). Errors are exact relative Frobenius errors of the \
            product, averaged over the draws. "bits saved" = p* - p, where p* is the precision at which RTN's \
            mean error (log-linearly interpolated in p) equals the method's error at p (* = extrapolated). Then \
            the orthonormal DCT-II C of each --dct-sizes (and C with its rows in bit-reversed order) is factored by the hierarchical butterfly algorithm and \
            quantized with every method to --dct-formats. Writes butterfly_random.csv, butterfly_dct.csv and \
            butterfly_N<N>.svg (error vs p, log scale) into --out.
            """
    )

    @Option(name: .long, help: "Comma-separated sizes N (powers of two).")
    var sizes: String = "16,64,256,1024"

    @Option(name: .long, help: "Precisions p: a range such as 2-8 or a comma-separated list.")
    var precisions: String = "2-8"

    @Option(name: .long, help: "Random butterflies per size.")
    var draws: Int = 10

    @Option(name: .long, help: "Base seed.")
    var seed: UInt64 = 2024

    @Option(name: .long, help: "Comma-separated DCT-II sizes (empty string to skip).")
    var dctSizes: String = "64,256"

    @Option(name: .long, help: "Comma-separated formats for the DCT-II part.")
    var dctFormats: String = "e4m3,bf16"

    @Option(name: .long, help: "Output directory for the CSV and SVG files.")
    var out: String = "out/experiment-butterfly"

    /// Parses "2-8" or "2,3,4".
    static func parseInts(_ text: String, _ what: String) throws(CLIError) -> [Int] {
        let t = text.trimmingSpaces()
        if t.isEmpty { return [] }
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) {
            guard a <= b else { throw CLIError("\(what): empty range '\(text)'") }
            return Array(a...b)
        }
        var out: [Int] = []
        for p in t.split(separator: ",") {
            guard let v = Int(String(p).trimmingSpaces()) else { throw CLIError("\(what): '\(p)' is not an integer") }
            out.append(v)
        }
        return out
    }

    /// Builds the configuration from the options.
    func configuration() throws -> ButterflyExperiment.Configuration {
        var c = ButterflyExperiment.Configuration()
        c.sizes = try Self.parseInts(sizes, "--sizes")
        c.precisions = try Self.parseInts(precisions, "--precisions")
        c.dctSizes = try Self.parseInts(dctSizes, "--dct-sizes")
        c.dctFormats = dctFormats.split(separator: ",").map { String($0).trimmingSpaces() }
        c.draws = draws
        c.seed = seed
        for n in c.sizes + c.dctSizes where ButterflyChain.log2(n) == nil || n > 4096 {
            throw CLIError("size \(n) must be a power of two between 2 and 4096")
        }
        guard !c.sizes.isEmpty, !c.precisions.isEmpty else { throw CLIError("--sizes and --precisions must not be empty") }
        for p in c.precisions where !(1...53).contains(p) { throw CLIError("precision \(p) must be 1…53") }
        guard draws >= 1 else { throw CLIError("--draws must be at least 1") }
        for f in c.dctFormats { _ = try parseGrid(f) }
        return c
    }

    /// Runs the experiment, writes the files and returns the report text.
    func render() throws -> String {
        let config = try configuration()
        let clock = ContinuousClock()
        var result: ButterflyExperiment.Result?
        let elapsed = try clock.measure { result = try ButterflyExperiment.run(config) }
        guard let result else { return "" }
        var text = "# butterfly experiment: \(config.draws) draws, seed \(config.seed), F_p grids; "
            + "error = mean ||PB - PB^||_F/||PB||_F (exact); gain = RTN/method; bits = p* - p (* extrapolated)\n"
        var csv = "N,p,method,mean_relative_error,rtn_over_method,bits_saved,extrapolated,seconds\n"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var files: [String] = []
        for n in config.sizes {
            let rows = result.cells.filter { $0.size == n }
            var table = TextTable(headers: ["N", "p"] + SparseChain.Method.allCases.map { "\($0)" }
                                  + SparseChain.Method.allCases.dropFirst().flatMap { ["gain \($0)", "bits \($0)"] },
                                  rightAligned: [Bool](repeating: true, count: 2 + 4 + 6))
            var plot = SVGLinePlot(title: "Random butterfly, N = \(n) (\(config.draws) draws)",
                                   xLabel: "precision p (F_p)", yLabel: "mean relative error", logY: true)
            for m in SparseChain.Method.allCases {
                plot.add(m.rawValue, rows.filter { $0.method == m }.map { (Double($0.precision), $0.meanError) })
            }
            for p in config.precisions {
                let byMethod = SparseChain.Method.allCases.compactMap { m in rows.first { $0.precision == p && $0.method == m } }
                var cells = [String(n), String(p)] + byMethod.map { sci3($0.meanError) }
                for c in byMethod.dropFirst() {
                    cells.append(fixed2(c.gainOverRTN))
                    cells.append(c.bitsSaved.map { fixed2($0) + (c.extrapolated ? "*" : "") } ?? "-")
                }
                table.rows.append(cells)
                for c in byMethod {
                    csv += "\(n),\(p),\(c.method),\(c.meanError),\(c.gainOverRTN),"
                        + "\(c.bitsSaved.map { String($0) } ?? ""),\(c.extrapolated),\(c.seconds)\n"
                }
            }
            text += "\n" + table.rendered() + "\n"
            let svg = out + "/butterfly_N\(n).svg"
            try plot.rendered().write(toFile: svg, atomically: true, encoding: .utf8)
            files.append(svg)
        }
        let csvPath = out + "/butterfly_random.csv"
        try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
        files.insert(csvPath, at: 0)
        if !result.dct.isEmpty {
            var table = TextTable(headers: ["DCT-II N", "rows", "factorization error", "format", "method", "error vs chain",
                                            "error vs DCT"], rightAligned: [true, false, true, false, false, true, true])
            var dcsv = "N,rows,factorization_error,format,method,error_vs_chain,error_vs_dct\n"
            for r in result.dct {
                let rows = r.rowsBitReversed ? "bitrev" : "natural"
                table.rows.append([String(r.size), rows, sci3(r.factorizationError), r.format, r.method.rawValue,
                                   sci3(r.errorVsChain), sci3(r.errorVsMatrix)])
                dcsv += "\(r.size),\(rows),\(r.factorizationError),\(r.format),\(r.method),\(r.errorVsChain),\(r.errorVsMatrix)\n"
            }
            text += "\n" + table.rendered() + "\n"
            let path = out + "/butterfly_dct.csv"
            try dcsv.write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        text += "\nwrote \(files.joined(separator: ", ")) in \(String(format: "%.1f", secs)) s"
        return text
    }

    func run() throws {
        emit(try render())
    }
}

/// Three significant digits, scientific.
func sci3(_ x: Double) -> String { x.isFinite ? String(format: "%.3e", x) : "\(x)" }

/// Two decimals.
func fixed2(_ x: Double) -> String { x.isFinite ? String(format: "%.2f", x) : "\(x)" }
