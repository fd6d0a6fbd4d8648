#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal line-plot writer producing a standalone SVG document: one polyline with markers per series, a
/// legend, axis labels, a title, a linear x axis and a linear or base-10 logarithmic y axis. No dependencies.
///
/// ```swift
/// var plot = SVGLinePlot(title: "N = 64", xLabel: "precision p", yLabel: "relative error", logY: true)
/// plot.add("RTN", [(2, 0.3), (3, 0.15), (4, 0.08)])
/// let svg = plot.rendered()
/// ```
public struct SVGLinePlot: Sendable {
    /// One named line.
    public struct Series: Sendable {
        /// The legend text.
        public var name: String
        /// (x, y) points in drawing order.
        public var points: [(Double, Double)]
    }

    /// Title above the plot.
    public var title: String
    /// x-axis label.
    public var xLabel: String
    /// y-axis label.
    public var yLabel: String
    /// Whether the y axis is logarithmic (points with y ≤ 0 are then skipped).
    public var logY: Bool
    /// Width in pixels.
    public var width: Double
    /// Height in pixels.
    public var height: Double
    /// The lines, drawn in order with colors from ``palette``.
    public var series: [Series] = []

    /// Line colors, cycled.
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// An empty plot.
    public init(title: String, xLabel: String, yLabel: String, logY: Bool = false, width: Double = 640,
                height: Double = 420) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.logY = logY
        self.width = width; self.height = height
    }

    /// Adds a series.
    public mutating func add(_ name: String, _ points: [(Double, Double)]) {
        series.append(Series(name: name, points: points))
    }

    /// The SVG document.
    ///
    /// Complexity: O(total points).
    public func rendered() -> String {
        let left = 78.0, right = 150.0, top = 40.0, bottom = 56.0
        let pw = width - left - right, ph = height - top - bottom
        func ty(_ y: Double) -> Double? { logY ? (y > 0 && y.isFinite ? log10(y) : nil) : (y.isFinite ? y : nil) }
        let pts = series.flatMap { $0.points }.filter { $0.0.isFinite && ty($0.1) != nil }
        var x0 = pts.map(\.0).min() ?? 0, x1 = pts.map(\.0).max() ?? 1
        var y0 = pts.compactMap { ty($0.1) }.min() ?? 0, y1 = pts.compactMap { ty($0.1) }.max() ?? 1
        if x1 == x0 { x0 -= 1; x1 += 1 }
        if logY { y0 = y0.rounded(.down); y1 = y1.rounded(.up) }
        if y1 == y0 { y0 -= 1; y1 += 1 }
        func sx(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func sy(_ v: Double) -> Double { top + (1 - (v - y0) / (y1 - y0)) * ph }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(num(width))" height="\(num(height))" \
        viewBox="0 0 \(num(width)) \(num(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(num(left + pw / 2))" y="22" text-anchor="middle" font-size="15">\(Self.escape(title))</text>

        """
        // Grid and ticks.
        for v in Self.ticks(y0, y1, log: logY) {
            let y = sy(v)
            s += "<line x1=\"\(num(left))\" y1=\"\(num(y))\" x2=\"\(num(left + pw))\" y2=\"\(num(y))\" stroke=\"#ddd\"/>\n"
            let label = logY ? "1e\(Int(v.rounded()))" : Self.short(v)
            s += "<text x=\"\(num(left - 6))\" y=\"\(num(y + 4))\" text-anchor=\"end\">\(label)</text>\n"
        }
        for v in Self.ticks(x0, x1, log: false) {
            let x = sx(v)
            s += "<line x1=\"\(num(x))\" y1=\"\(num(top))\" x2=\"\(num(x))\" y2=\"\(num(top + ph))\" stroke=\"#eee\"/>\n"
            s += "<text x=\"\(num(x))\" y=\"\(num(top + ph + 18))\" text-anchor=\"middle\">\(Self.short(v))</text>\n"
        }
        s += "<rect x=\"\(num(left))\" y=\"\(num(top))\" width=\"\(num(pw))\" height=\"\(num(ph))\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(num(left + pw / 2))\" y=\"\(num(height - 14))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        s += "<text x=\"18\" y=\"\(num(top + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(num(top + ph / 2)))\">"
            + "\(Self.escape(yLabel))\(logY ? " (log scale)" : "")</text>\n"
        // Lines, markers and legend.
        for (k, line) in series.enumerated() {
            let color = Self.palette[k % Self.palette.count]
            let xy = line.points.compactMap { p in ty(p.1).map { (sx(p.0), sy($0)) } }
            if xy.count > 1 {
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\""
                    + xy.map { "\(num($0.0)),\(num($0.1))" }.joined(separator: " ") + "\"/>\n"
            }
            for (x, y) in xy { s += "<circle cx=\"\(num(x))\" cy=\"\(num(y))\" r=\"3\" fill=\"\(color)\"/>\n" }
            let ly = top + 14 + Double(k) * 18, lx = left + pw + 14
            s += "<line x1=\"\(num(lx))\" y1=\"\(num(ly - 4))\" x2=\"\(num(lx + 22))\" y2=\"\(num(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            s += "<text x=\"\(num(lx + 28))\" y=\"\(num(ly))\">\(Self.escape(line.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Tick positions: every integer exponent on a log axis (at most ~10, thinned), else about 6 round values.
    static func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [Double] {
        if log {
            let a = Int(lo.rounded(.up)), b = Int(hi.rounded(.down))
            guard b >= a else { return [] }
            let stride = max(1, (b - a + 9) / 10)
            return Swift.stride(from: a, through: b, by: stride).map(Double.init)
        }
        let raw = (hi - lo) / 6
        let mag = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var v = (lo / step).rounded(.up) * step, out: [Double] = []
        while v <= hi + step * 1e-9 { out.append(v); v += step }
        return out
    }

    /// A short label for a tick value.
    static func short(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
        var s = String(Double(Int((v * 1000).rounded())) / 1000)
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    /// XML-escaped text.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}

/// A coordinate with two decimals.
private func num(_ x: Double) -> String {
    let r = (x * 100).rounded() / 100
    return r == r.rounded() ? String(Int(r)) : String(r)
}
