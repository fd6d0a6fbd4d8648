import ArgumentParser
import ScaleQuant

/// `scalequant round`: rounds numbers to a grid (nearest value, ties to even, saturating at ±max finite).
struct RoundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "round",
        abstract: "Round numbers to a format (nearest, ties to even, saturating at ±max finite).",
        discussion: """
            Values come from the arguments or, if there are none, from standard input, one per line (blank \
            lines and lines starting with # are skipped). Negative numbers can be given directly \
            (scalequant round --format e4m3 -1.3) or after a -- terminator (scalequant round --format e4m3 \
            -- -1.3); options may come before or after the values, and have long names only, so that no \
            number is mistaken for a group of one-letter flags. Any argument that is not an option of this \
            command is read as a number, so a mistyped option is reported as "not a number".
            Output: one rounded value per line (shortest text that reads back to the same binary64), \
            "input -> rounded" with --verbose, or a JSON array with --json. NaN, infinities and unparsable \
            tokens are errors.
            """
    )

    @Option(name: .long, help: "The format to round to (see `scalequant formats`), e.g. e4m3, bf16, int4, p=8.")
    var format: String

    @Flag(name: .long, help: "Print a JSON array of the rounded numbers.")
    var json = false

    @Flag(name: .long, help: "Print 'input -> rounded' lines.")
    var verbose = false

    // `.allUnrecognized` collects every input that is not one of the options above, dash-prefixed ones included,
    // which is what lets `-1.3` through without `--`. The options deliberately have no one-letter names: a token
    // such as `-inf` or `-0x1.fp3` would otherwise be read as a group of short flags (`-i -n -f`).
    @Argument(parsing: .allUnrecognized, help: "The numbers to round (default: read standard input).")
    var values: [String] = []

    /// The tokens to round: the arguments, or else the non-blank, non-comment lines of `stdin`.
    static func tokens(arguments: [String], stdin: () -> String?) -> [String] {
        // `.allUnrecognized` passes a `--` terminator through as a value; it is never a number, so drop it.
        let arguments = arguments.filter { $0 != "--" }
        if !arguments.isEmpty { return arguments }
        var tokens: [String] = []
        while let line = stdin() {
            let t = line.trimmingSpaces()
            if t.isEmpty || t.hasPrefix("#") { continue }
            tokens.append(t)
        }
        return tokens
    }

    /// Rounds the values and formats the output. `stdin` supplies lines when no values were given as arguments.
    ///
    /// - Throws: ``CLIError`` for an unknown format, an unparsable, NaN or infinite token, or no input at all.
    func render(stdin: () -> String? = { nil }) throws -> String {
        let grid = try parseGrid(format)
        let tokens = Self.tokens(arguments: values, stdin: stdin)
        guard !tokens.isEmpty else {
            throw CLIError("no values to round: give them as arguments or one per line on standard input")
        }
        let inputs = try tokens.map { token throws(CLIError) in try parseFiniteNumber(token) }
        let rounded = grid.round(inputs)
        if json {
            return JSONValue.array(rounded.map { .number($0) }).rendered()
        }
        if verbose {
            return zip(tokens, rounded).map { "\($0.0) -> \(formatNumber($0.1))" }.joined(separator: "\n")
        }
        return rounded.map(formatNumber).joined(separator: "\n")
    }

    func run() throws {
        emit(try render(stdin: { readLine(strippingNewline: true) }))
    }
}
