import Foundation
import ScaleQuant

/// Writes a report's files into `directory` (created if needed): `report.html`, `results.json`, `results.csv`.
/// Returns the HTML path.
@discardableResult
func writeReportFiles(_ report: QuantizationReport, directory: String) throws -> String {
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: directory)
        try report.html().write(to: base.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        try report.json().write(to: base.appendingPathComponent("results.json"), atomically: true, encoding: .utf8)
        try report.csv().write(to: base.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        return base.appendingPathComponent("report.html").path
    } catch {
        throw CLIError("cannot write the report to \(directory): \(error.localizedDescription)")
    }
}
