/// A minimal horizontal stacked-bar chart as a standalone SVG: one bar per group, split into categories that sum to
/// (at most) 1 — used for per-layer shares. No dependencies.
public struct SVGBarChart: Sendable {
    /// Title above the chart.
    public var title: String
    /// Label of the value axis.
    public var yLabel: String
    /// Names of the stacked categories (legend), in stacking order.
    public var categoryNames: [String]
    /// (group name, values per category).
    public var groups: [(String, [Double])] = []

    /// An empty chart.
    public init(title: String, yLabel: String, categoryNames: [String]) {
        self.title = title; self.yLabel = yLabel; self.categoryNames = categoryNames
    }

    /// Adds a bar.
    public mutating func add(group: String, values: [Double]) { groups.append((group, values)) }

    /// The SVG document. O(groups · categories).
    public func rendered() -> String {
        let left = 150.0, right = 120.0, top = 36.0, barH = 14.0, gap = 5.0, plotW = 520.0
        let height = top + Double(groups.count) * (barH + gap) + 40
        let width = left + plotW + right
        func e(_ s: String) -> String {
            s.split(separator: "&", omittingEmptySubsequences: false).joined(separator: "&amp;")
                .split(separator: "<", omittingEmptySubsequences: false).joined(separator: "&lt;")
        }
        func f(_ x: Double) -> String { String(Double(Int((x * 10).rounded())) / 10) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
            + "viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(e(title))</text>\n"
        for (g, (name, values)) in groups.enumerated() {
            let y = top + Double(g) * (barH + gap)
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y + barH - 3))\" text-anchor=\"end\">\(e(name))</text>\n"
            var x = left
            for (c, v) in values.enumerated() where v.isFinite && v > 0 {
                let w = min(v, 1) * plotW
                s += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(barH))\" "
                    + "fill=\"\(SVGLinePlot.palette[c % SVGLinePlot.palette.count])\"/>\n"
                x += w
            }
        }
        let axisY = top + Double(groups.count) * (barH + gap) + 4
        s += "<line x1=\"\(f(left))\" y1=\"\(f(axisY))\" x2=\"\(f(left + plotW))\" y2=\"\(f(axisY))\" stroke=\"#333\"/>\n"
        for t in stride(from: 0.0, through: 1.0, by: 0.25) {
            s += "<text x=\"\(f(left + t * plotW))\" y=\"\(f(axisY + 14))\" text-anchor=\"middle\">\(t)</text>\n"
        }
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(axisY + 30))\" text-anchor=\"middle\">\(e(yLabel))</text>\n"
        for (c, name) in categoryNames.enumerated() {
            let y = top + Double(c) * 18
            s += "<rect x=\"\(f(left + plotW + 14))\" y=\"\(f(y))\" width=\"12\" height=\"12\" "
                + "fill=\"\(SVGLinePlot.palette[c % SVGLinePlot.palette.count])\"/>"
                + "<text x=\"\(f(left + plotW + 32))\" y=\"\(f(y + 10))\">\(e(name))</text>\n"
        }
        return s + "</svg>"
    }
}
