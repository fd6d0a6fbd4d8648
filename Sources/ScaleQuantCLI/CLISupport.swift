import ArgumentParser
import ScaleQuant

// Shared pieces of the command-line layer: errors, number and JSON formatting, aligned tables, input parsing.
// Nothing here is numerical beyond printing: the grids and their rounding come from the ScaleQuant library.

/// An error of the command-line layer. ArgumentParser prints its ``description`` once, as `Error: <message>` on
/// standard error, and exits with status 1 (it is a plain `Error` that is `CustomStringConvertible`, not a
/// `ValidationError`, so no usage text is appended).
public struct CLIError: Error, CustomStringConvertible, Equatable {
    /// The one-line message.
    public let message: String

    /// Creates an error with a one-line message (newlines are replaced by spaces to keep it on one line).
    public init(_ message: String) {
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// The message, as printed after `Error: `.
    public var description: String { message }
}

/// Parses a format string with ``FormatCatalog/grid(named:)``, turning a ``FormatError`` into a ``CLIError`` that
/// carries the library's message.
public func parseGrid(_ name: String) throws(CLIError) -> any NumberGrid {
    do {
        return try FormatCatalog.grid(named: name)
    } catch let error as FormatError {
        throw CLIError(error.description)
    } catch {
        throw CLIError("cannot read format '\(name)': \(error)")
    }
}

/// Parses one number token for rounding. Accepts what `Double(_:)` accepts (decimal, exponent, hexadecimal
/// `0x1p-3`, a leading sign), after trimming spaces and tabs.
///
/// - Throws: ``CLIError`` naming the token if it is not a number, is NaN, or is infinite (including decimal
///   literals that overflow binary64, such as `1e400`).
public func parseFiniteNumber(_ token: String) throws(CLIError) -> Double {
    let trimmed = token.trimmingSpaces()
    guard !trimmed.isEmpty else { throw CLIError("empty value: expected a number") }
    guard let x = Double(trimmed) else {
        if trimmed.hasPrefix("-") && trimmed.count > 1 && trimmed.dropFirst().first?.isLetter == true {
            throw CLIError("'\(trimmed)' is not a number (nor an option of this command)")
        }
        throw CLIError("'\(trimmed)' is not a number")
    }
    if x.isNaN { throw CLIError("'\(trimmed)': NaN is not a number to round") }
    if x.isInfinite { throw CLIError("'\(trimmed)' is infinite (or overflows binary64): only finite numbers can be rounded") }
    return x
}

/// Shortest round-trip text of a Double (Swift's `description`), with a trailing `.0` dropped so integral values
/// read `448` rather than `448.0`. Infinities print as `inf`/`-inf` and NaN as `nan` (not valid JSON: see
/// ``JSONValue``).
public func formatNumber(_ x: Double) -> String { NumberText.shortest(x) }

/// A plain-text table with aligned columns: text columns left-aligned, numeric ones right-aligned.
public struct TextTable {
    /// Column headers.
    public let headers: [String]
    /// For each column, whether it is right-aligned.
    public let rightAligned: [Bool]
    /// The rows (each as many cells as headers).
    public var rows: [[String]] = []

    /// Creates an empty table.
    public init(headers: [String], rightAligned: [Bool]) {
        precondition(headers.count == rightAligned.count, "TextTable: one alignment per column")
        self.headers = headers
        self.rightAligned = rightAligned
    }

    /// The table: header, a rule, then the rows; columns separated by two spaces, no trailing spaces.
    public func rendered() -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (c, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                parts.append(rightAligned[c] ? pad + cell : cell + pad)
            }
            return String(parts.joined(separator: "  ").reversed().drop(while: { $0 == " " }).reversed())
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and carriage returns.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}

/// Writes a rendered result to standard output, with a final newline unless it is empty.
func emit(_ text: String) {
    if !text.isEmpty { print(text) }
}
