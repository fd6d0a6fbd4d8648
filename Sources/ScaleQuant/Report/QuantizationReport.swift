import Foundation
import Dispatch

/// One (method, format) row of a ``QuantizationReport``.
public struct ReportEntry: Sendable {
    /// Method name (rtn, cle, exact, l2r, cd, data).
    public var method: String
    /// Format name as given.
    public var format: String
    /// Storage bits per weight including the stored scales (``Evaluation/bitsPerWeight(format:method:graph:)``).
    public var bitsPerWeight: Double?
    /// ‖Φ(θ) − Φ(θ̂)‖₂.
    public var l2PathMetric: Double
    /// ‖Φ(θ) − Φ(θ̂)‖₂ / ‖Φ(θ)‖₂.
    public var relativeL2PathMetric: Double
    /// Per-layer shares of the ℓ² path-metric (``Evaluation/layerShares(original:quantized:)``).
    public var layerShares: [Double]
    /// ‖θ̂ − θ‖₂/‖θ‖₂ for the parameters as given; NOT rescaling-invariant.
    public var weightRelativeError: Double
    /// Certified ‖R_θ(x) − R_θ̂(x)‖₁ bound on ‖x‖_∞ ≤ 1, `nil` if signs disagree.
    public var certifiedBound: Double?
    /// Mean relative output error on the evaluation data.
    public var outputRelativeError: Double?
    /// Max absolute output error on the evaluation data.
    public var outputMaxError: Double?
    /// Accuracy on labelled data.
    public var accuracy: Double?
    /// Relative error against regression targets.
    public var evalRelativeError: Double?
    /// Wall-clock seconds of the quantization.
    public var seconds: Double
    /// The quantized network, batch norm folded.
    public var network: GraphNetwork?
    /// Per-neuron scalings of a perceptron (``GraphQuantizationResult/scalings``; empty otherwise).
    public var scalings: [[Double]]
    /// Coordinate-descent (or data-aware) sweeps.
    public var sweeps: Int
}

/// Runs several quantization methods on several formats and renders the comparison as a terminal table, JSON or
/// a self-contained HTML page (inline CSS and SVG). Library type producing strings; callers write the files.
public struct QuantizationReport: Sendable {
    /// A title (e.g. the model file name).
    public var title: String
    /// Layer widths of the model (empty for a graph).
    public var widths: [Int]
    /// What the model is, for the header (default: "W0-W1-…-WL ReLU network" from ``widths``).
    public var modelSummary: String?
    /// Names of the layers in the per-layer share chart (default: "layer 1", "layer 2", …).
    public var layerNames: [String]?
    /// Accuracy of the float model on the evaluation data.
    public var floatAccuracy: Double?
    /// Relative error of the float model against regression targets.
    public var floatEvalRelativeError: Double?
    /// Number of evaluation samples (0 without data).
    public var samples: Int
    /// The rows, in run order.
    public var entries: [ReportEntry]

    /// Creates a report from rows.
    public init(title: String, widths: [Int], floatAccuracy: Double?, floatEvalRelativeError: Double? = nil,
                samples: Int, entries: [ReportEntry]) {
        self.title = title; self.widths = widths; self.floatAccuracy = floatAccuracy
        self.floatEvalRelativeError = floatEvalRelativeError; self.samples = samples; self.entries = entries
    }

    // MARK: rendering

    /// Fixed 4-significant-digit text (n/a for nil).
    static func num(_ x: Double?, digits: Int = 4) -> String {
        guard let x, x.isFinite else { return "n/a" }
        if x == 0 { return "0" }
        if abs(x) >= 1e-3 && abs(x) < 1e5 {
            let mag = Int(floor(log10(abs(x))))
            let dec = max(0, digits - 1 - mag)
            return String(format: "%.\(dec)f", x)
        }
        return String(format: "%.\(digits - 1)e", x)
    }

    /// Accuracy text with four decimals.
    static func acc(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }

    /// Column headers of ``table()`` and ``csv()``.
    public static let columns = ["format", "bits", "method", "rel_l2_path_metric", "certified_bound_r1",
                                 "output_rel_error", "accuracy", "weight_rel_error", "layer_shares", "seconds"]

    /// The header line: model, widths, samples and float accuracy.
    public var header: String {
        var s = "\(title): " + (modelSummary ?? "\(widths.map(String.init).joined(separator: "-")) ReLU network")
        if samples > 0 { s += ", \(samples) evaluation samples" }
        if let floatAccuracy { s += ", float accuracy \(Self.acc(floatAccuracy))" }
        if let floatEvalRelativeError { s += ", float relative error \(Self.num(floatEvalRelativeError))" }
        return s
    }

    private func cells(_ e: ReportEntry) -> [String] {
        [e.format, e.bitsPerWeight.map { NumberText.fixed($0, 3) } ?? "n/a", e.method, Self.num(e.relativeL2PathMetric),
         Self.num(e.certifiedBound), Self.num(e.outputRelativeError), Self.acc(e.accuracy),
         Self.num(e.weightRelativeError), e.layerShares.map { String(format: "%.2f", $0) }.joined(separator: "/"),
         String(format: "%.3f", e.seconds)]
    }

    /// Aligned plain-text table with the header line above it.
    public func table() -> String {
        let rows = [Self.columns] + entries.map(cells)
        let widthsC = Self.columns.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        func line(_ r: [String]) -> String {
            r.enumerated().map { c, s in
                let pad = String(repeating: " ", count: widthsC[c] - s.count)
                return c == 0 || c == 2 ? s + pad : pad + s
            }.joined(separator: "  ")
        }
        let rule = widthsC.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([header, "", line(Self.columns), rule] + entries.map { line(cells($0)) }).joined(separator: "\n")
    }

    /// CSV with ``columns`` (full-precision numbers).
    public func csv() -> String {
        var lines = [Self.columns.joined(separator: ",")]
        for e in entries {
            func f(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
            lines.append([e.format, e.bitsPerWeight.map { "\($0)" } ?? "", e.method, f(e.relativeL2PathMetric),
                          f(e.certifiedBound), f(e.outputRelativeError), f(e.accuracy), f(e.weightRelativeError),
                          e.layerShares.map { "\($0)" }.joined(separator: "/"), f(e.seconds)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON object of one entry (`file` added when given).
    public static func json(_ e: ReportEntry, file: String? = nil) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("method", .string(e.method)), ("format", .string(e.format)),
                                            ("bits_per_weight", .nullable(e.bitsPerWeight))]
        if let file { pairs.append(("output", .string(file))) }
        pairs += [("l2_path_metric", .number(e.l2PathMetric)), ("relative_l2_path_metric", .number(e.relativeL2PathMetric)),
                  ("layer_shares", .array(e.layerShares.map { .number($0) })),
                  ("weight_relative_error", .number(e.weightRelativeError)),
                  ("certified_output_bound", .nullable(e.certifiedBound)),
                  ("output_relative_error", .nullable(e.outputRelativeError)),
                  ("output_max_error", .nullable(e.outputMaxError)), ("accuracy", .nullable(e.accuracy)),
                  ("eval_relative_error", .nullable(e.evalRelativeError)), ("sweeps", .integer(e.sweeps)),
                  ("seconds", .number(e.seconds))]
        return .object(pairs)
    }

    /// The whole report as one JSON object, one key and one result per line (`files[i]` names entry i's output
    /// file when given).
    public func json(files: [String]? = nil) -> String {
        JSONValue.object([("title", .string(title)), ("widths", .array(widths.map { .integer($0) })),
                          ("samples", .integer(samples)), ("float_accuracy", .nullable(floatAccuracy)),
                          ("float_eval_relative_error", .nullable(floatEvalRelativeError)),
                          ("results", .array(entries.enumerated().map { i, e in Self.json(e, file: files?[i]) }))])
            .rendered(pretty: true)
    }

    static func esc(_ s: String) -> String {
        s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("\"", "&quot;")
    }

    /// A self-contained HTML page: header, notes on the measures, the table, a plot of the relative ℓ² path-metric
    /// (and output error when measured) against bits per weight per method, and per-layer share bars.
    public func html() -> String {
        let methods = entries.reduce(into: [String]()) { if !$0.contains($1.method) { $0.append($1.method) } }
        func plot(_ title: String, _ y: String, _ value: (ReportEntry) -> Double?) -> String {
            var p = SVGLinePlot(title: title, xLabel: "bits per weight", yLabel: y, logY: true, width: 560, height: 380)
            // One line per method and format family (float formats, integer formats), so that formats with the
            // same width (e2m1 and int4) do not join into a vertical segment.
            for integer in [false, true] {
                for m in methods {
                    let pts = entries.filter { $0.method == m && $0.format.lowercased().hasPrefix("int") == integer }
                        .compactMap { e -> (Double, Double)? in
                            guard let b = e.bitsPerWeight, let v = value(e) else { return nil }
                            return (b, v)
                        }.sorted { $0.0 < $1.0 }
                    if !pts.isEmpty { p.add(integer ? m + " (int)" : m, pts) }
                }
            }
            return p.rendered()
        }
        var bars = SVGBarChart(title: "Per-layer share of the l2 path-metric (only that layer quantized)",
                               yLabel: "share",
                               categoryNames: layerNames ?? (widths.count > 1 ? (1..<widths.count).map { "layer \($0)" } : []))
        for e in entries { bars.add(group: "\(e.format) \(e.method)", values: e.layerShares) }
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>ScaleQuant report: \(Self.esc(title))</title>
        <style>
        body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1150px}
        h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
        table{border-collapse:collapse;font-size:0.85em}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
        th{background:#f0f0f0}td.t{text-align:left}tr:nth-child(even){background:#fafafa}
        .note{font-size:0.85em;color:#555;max-width:1000px}.plots{display:flex;flex-wrap:wrap;gap:12px}
        </style></head><body>
        <h1>ScaleQuant quantization report</h1>
        <p>\(Self.esc(header))</p>

        """
        h += "<h2>Results</h2>\n<table>\n<tr>" + ["format", "bits/weight", "method", "rel. ℓ² path-metric",
            "certified bound (r=1)", "output rel. error", "accuracy", "weight rel. error*", "layer shares", "seconds"]
            .map { "<th>\(Self.esc($0))</th>" }.joined() + "</tr>\n"
        for e in entries {
            h += "<tr>" + cells(e).enumerated().map { c, s in
                c == 0 || c == 2 ? "<td class=\"t\">\(Self.esc(s))</td>" : "<td>\(Self.esc(s))</td>"
            }.joined() + "</tr>\n"
        }
        h += "</table>\n"
        h += """
        <p class="note">rel. ℓ² path-metric: ‖Φ(θ) − Φ(θ̂)‖₂ / ‖Φ(θ)‖₂ (exact, rescaling-invariant).
        Certified bound: max(r,1)·(ℓ¹ path-metric bound), a guaranteed bound on ‖R_θ(x) − R_θ̂(x)‖₁ for every ‖x‖_∞ ≤ 1
        (n/a when signs differ). Output rel. error: mean over the evaluation samples of ‖R_θ(x) − R_θ̂(x)‖₂/‖R_θ(x)‖₂.
        Layer shares: with θ′ the original rescaled to the quantized network's scale (same Φ), c_ℓ = ‖Φ(θ′) − Φ(θ′ with
        only layer ℓ quantized)‖₂², normalized to sum to 1.
        <b>* Weight rel. error</b> ‖θ̂ − θ‖₂/‖θ‖₂ is measured on the parameters as given and is <b>not
        rescaling-invariant</b>: a rescaled copy of the same network (same function) would give a different value, and
        the rescaling-aware methods deliberately move away from θ's scale. It is shown only to make that point.</p>

        """
        h += "<h2>Error against bits per weight</h2>\n<div class=\"plots\">\n"
        h += plot("relative l2 path-metric", "relative l2 path-metric") { $0.relativeL2PathMetric } + "\n"
        if entries.contains(where: { $0.outputRelativeError != nil }) {
            h += plot("output relative error (data)", "output relative error") { $0.outputRelativeError } + "\n"
        }
        h += "</div>\n<h2>Per-layer share of the ℓ² path-metric</h2>\n" + bars.rendered() + "\n</body></html>\n"
        return h
    }
}

extension String {
    func replacingAll(_ a: String, _ b: String) -> String { split(separator: a, omittingEmptySubsequences: false).joined(separator: b) }
}
