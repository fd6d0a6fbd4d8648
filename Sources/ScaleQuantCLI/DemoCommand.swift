import ArgumentParser
import ScaleQuant

/// `scalequant demo`: a tour of what is implemented so far. It grows with the project.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the bundled demonstration (number formats and rounding, for now)."
    )

    /// Values rounded in the demo.
    static let sampleValues: [Double] = [0.1, -1.3, 2.5, 3.5, 0.0703125, 1000]
    /// Formats rounded to in the demo.
    static let sampleFormats = ["e4m3", "bf16", "int4"]

    /// The whole demo text.
    static func render() throws -> String {
        var out: [String] = []
        out.append("ScaleQuant demo: optimal, rescaling-aware quantization to low-precision formats")
        out.append("")
        out.append("Number formats (scalequant formats):")
        out.append(try FormatsCommand.table())
        out.append("")
        out.append("Rounding to nearest, ties to even, saturating at ±max finite (scalequant round):")
        var table = TextTable(headers: ["x"] + sampleFormats,
                              rightAligned: [true] + sampleFormats.map { _ in true })
        let grids = try sampleFormats.map { name throws(CLIError) in try parseGrid(name) }
        let columns = grids.map { $0.round(sampleValues) }
        for (i, x) in sampleValues.enumerated() {
            table.rows.append([formatNumber(x)] + columns.map { formatNumber($0[i]) })
        }
        out.append(table.rendered())
        out.append("")
        out.append("rank-one, butterfly and network quantization: see the next sections of the README as they land")
        return out.joined(separator: "\n")
    }

    func run() throws {
        emit(try Self.render())
    }
}
