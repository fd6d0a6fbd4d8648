import ArgumentParser
import ScaleQuant

/// One row of `scalequant formats`: the facts of a grid as the library reports them, `nil` where a column does
/// not apply (no exponent range for p=N and intN, no subnormals, infinitely many values).
struct FormatRow {
    /// Canonical name.
    var name: String
    /// Other accepted names.
    var aliases: [String]
    /// Significand bits including the implicit bit.
    var precision: Int?
    /// Smallest normal exponent.
    var emin: Int?
    /// Largest exponent.
    var emax: Int?
    /// Largest finite value (`nil` if unbounded).
    var maxFinite: Double?
    /// Smallest positive value (least subnormal; the step of an integer grid).
    var minSubnormal: Double?
    /// Smallest positive normal value 2^emin.
    var minNormal: Double?
    /// Number of finite values, 2·(positive values) + 1 counting zero once (`nil` if infinite).
    var finiteValues: UInt64?
    /// Special-value convention of the encoding.
    var specials: String?

    /// The row of a grid; `aliases` come from the preset table.
    init(grid: any NumberGrid, name: String, aliases: [String] = []) {
        self.name = name
        self.aliases = aliases
        maxFinite = grid.maxFinite.isFinite ? grid.maxFinite : nil
        finiteValues = grid.positiveValueCount.map { 2 * UInt64($0) + 1 }
        if let f = grid as? FloatFormat {
            precision = f.precision
            emin = f.exponentRange?.lowerBound
            emax = f.exponentRange?.upperBound
            if f.isIdealized {
                minSubnormal = nil
                minNormal = nil
                specials = nil
            } else {
                minSubnormal = f.hasSubnormals ? f.smallestPositive : nil
                minNormal = f.smallestNormal
                specials = f.specials.rawValue
            }
        } else {
            minSubnormal = grid.smallestPositive > 0 ? grid.smallestPositive : nil
            specials = nil
        }
    }

    /// The JSON object, keys in the documented order.
    var json: JSONValue {
        .object([
            ("name", .string(name)),
            ("aliases", .array(aliases.map { .string($0) })),
            ("precision", .nullable(precision)),
            ("emin", .nullable(emin)),
            ("emax", .nullable(emax)),
            ("max_finite", .nullable(maxFinite)),
            ("min_subnormal", .nullable(minSubnormal)),
            ("min_normal", .nullable(minNormal)),
            ("finite_values", .nullable(finiteValues)),
            ("specials", .nullable(specials)),
        ])
    }

    /// The table cells: `—` where a column does not apply, `∞` for unbounded quantities.
    var cells: [String] {
        let dash = "—"
        return [
            name,
            aliases.isEmpty ? dash : aliases.joined(separator: ","),
            precision.map(String.init) ?? dash,
            emin.map(String.init) ?? dash,
            emax.map(String.init) ?? dash,
            maxFinite.map(formatNumber) ?? "∞",
            minSubnormal.map(formatNumber) ?? dash,
            minNormal.map(formatNumber) ?? dash,
            finiteValues.map { String($0) } ?? "∞",
            specials ?? dash,
        ]
    }

    /// Column headers of the table, in the order of ``cells``.
    static let headers = ["name", "aliases", "p", "emin", "emax", "max finite", "min subnormal", "min normal",
                          "finite values", "specials"]
    /// Which columns are right-aligned (the numeric ones).
    static let rightAligned = [false, false, true, true, true, true, true, true, true, false]
}

/// `scalequant formats`: the preset number formats, and examples of the parametric ones, as a table or JSON.
struct FormatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "List the number formats: every preset, plus examples of p=N and intN.",
        discussion: """
            Format strings accepted wherever a format is asked for (case-insensitive): a preset name or alias \
            from the table; eXmY (IEEE-style inf/NaN), eXmYfn (no inf, one NaN code, like e4m3), eXmYfnuz, \
            eXmYfinite (no special values); p=N, the idealized grid with N significant bits and unbounded \
            exponent; intN (symmetric integers -(2^(N-1)-1)…2^(N-1)-1) and intN@STEP (scaled by STEP).

            Columns: p is the precision including the implicit bit; min subnormal is the smallest positive \
            value (the step for intN); finite values counts zero once and both signs.
            """
    )

    /// Examples of the parametric families shown after the presets.
    static let exampleNames = ["p=4", "p=11", "int4", "int8"]

    @Flag(name: .long, help: "Print a JSON array of objects instead of the table.")
    var json = false

    /// The rows: presets first (widest first), then the examples.
    static func rows() throws -> [FormatRow] {
        var rows = FormatCatalog.presets.map { FormatRow(grid: $0.format, name: $0.name, aliases: $0.aliases) }
        for name in exampleNames {
            rows.append(FormatRow(grid: try parseGrid(name), name: name))
        }
        return rows
    }

    /// The aligned table of ``rows()``.
    static func table() throws -> String {
        var table = TextTable(headers: FormatRow.headers, rightAligned: FormatRow.rightAligned)
        table.rows = try rows().map(\.cells)
        return table.rendered()
    }

    /// What the command prints: the table, or the JSON array with `--json`.
    func render() throws -> String {
        if json {
            return JSONValue.array(try Self.rows().map(\.json)).rendered(pretty: true)
        }
        return try Self.table()
    }

    func run() throws {
        emit(try render())
    }
}
