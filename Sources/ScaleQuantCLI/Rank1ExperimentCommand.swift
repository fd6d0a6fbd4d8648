import ArgumentParser
import Foundation
import ScaleQuant

/// `scalequant experiment rank1`: the random rank-one study (optimal vs RTN on F_p).
struct Rank1ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank1",
        abstract: "Random rank-one study: optimal/RTN error ratio on F_p for Gaussian x, y (CSV and SVG plot)."
    )

    @Option(name: .long, help: "Sizes m = n, comma-separated.") var sizes: String = "2,8,32,128"
    @Option(name: .long, help: "Precisions p of F_p, comma-separated.") var precisions: String = "2,3,4,6,8,11"
    @Option(name: .long, help: "Seeded trials per cell.") var trials: Int = 30
    @Option(name: .long, help: "Output directory for rank1.csv and rank1.svg.") var out: String = "scalequant-experiments"

    static func parseList(_ s: String, _ what: String) throws(CLIError) -> [Int] {
        let items = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !items.isEmpty, items.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw CLIError("--\(what) takes positive integers separated by commas (got '\(s)')")
        }
        return items.map { $0! }
    }

    /// Runs the study, writes the files and returns the table.
    func render() throws(CLIError) -> String {
        let m = try Self.parseList(sizes, "sizes"), p = try Self.parseList(precisions, "precisions")
        guard trials > 0 else { throw CLIError("--trials must be positive") }
        guard p.allSatisfy({ $0 <= 24 }) else { throw CLIError("--precisions: p ≤ 24 (the sweep visits 2^(p−1) pieces per entry)") }
        let rows: [RankOneStudy.Row]
        do { rows = try RankOneStudy.run(sizes: m, precisions: p, trials: trials) } catch { throw CLIError("\(error)") }
        var table = TextTable(headers: ["m=n", "p", "mean opt err", "mean RTN err", "ratio of means", "mean of ratios",
                                        "median of ratios"], rightAligned: [Bool](repeating: true, count: 7))
        var csv = "m,p,trials,mean_optimal_error,mean_rtn_error,ratio_of_means,mean_ratio,median_ratio\n"
        for r in rows {
            let ratioOfMeans = r.meanOptimalError / r.meanRTNError
            table.rows.append([String(r.size), String(r.precision), NumberText.scientific(r.meanOptimalError),
                               NumberText.scientific(r.meanRTNError), NumberText.fixed(ratioOfMeans, 3),
                               NumberText.fixed(r.meanRatio, 3), NumberText.fixed(r.medianRatio, 3)])
            csv += "\(r.size),\(r.precision),\(r.trials),\(r.meanOptimalError),\(r.meanRTNError),\(ratioOfMeans),"
                + "\(r.meanRatio),\(r.medianRatio)\n"
        }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try writeAtomically(Array(csv.utf8), to: out + "/rank1.csv")
            try writeAtomically(Array(Self.plot(rows).utf8), to: out + "/rank1.svg")
        } catch {
            throw CLIError("cannot write to \(out): \(error)")
        }
        return table.rendered() + "\nwrote \(out)/rank1.csv and \(out)/rank1.svg"
    }

    /// Mean optimal error / mean RTN error against p, one line per size.
    static func plot(_ rows: [RankOneStudy.Row]) -> String {
        var plot = SVGLinePlot(title: "Optimal rank-one quantization on F_p: gain over round-to-nearest",
                               xLabel: "precision p (bits)", yLabel: "mean optimal error / mean RTN error", logY: true)
        for m in Array(Set(rows.map(\.size))).sorted() {
            let pts = rows.filter { $0.size == m }.sorted { $0.precision < $1.precision }
                .map { (Double($0.precision), $0.meanOptimalError / $0.meanRTNError) }
            plot.add("m = n = \(m)", pts)
        }
        return plot.rendered()
    }

    func run() throws { emit(try render()) }
}
