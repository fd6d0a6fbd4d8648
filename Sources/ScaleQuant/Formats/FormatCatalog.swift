/// The named formats ScaleQuant knows, and the parser for format strings.
///
/// Accepted names (case-insensitive):
/// - presets: `binary64`/`fp64`, `binary32`/`fp32`, `tf32`, `bfloat16`/`bf16`, `binary16`/`fp16`, `e5m2`,
///   `e4m3` (= `e4m3fn`, OCP FP8 with max 448), `e4m3fnuz`, `e5m2fnuz`, `e3m2`, `e2m3` (OCP FP6), `e2m1` (OCP FP4);
/// - `eXmY` (IEEE-style specials), `eXmYfn`, `eXmYfnuz`, `eXmYfinite` (no special values, like MX formats);
/// - `p=N`: the idealized grid F_N with unbounded exponent;
/// - `intN` (symmetric, step 1) and `intN@STEP`.
public enum FormatCatalog {
    /// One preset: its canonical name, its aliases, and the grid.
    public struct Preset: Sendable {
        /// Canonical name.
        public let name: String
        /// Other accepted names.
        public let aliases: [String]
        /// The format.
        public let format: FloatFormat
    }

    /// Every floating-point preset, widest first.
    public static let presets: [Preset] = {
        func make(_ name: String, _ aliases: [String], _ e: Int, _ m: Int, _ s: FloatFormat.SpecialValues) -> Preset {
            // The widths below are valid by construction.
            let f = try! FloatFormat(name: name, exponentBits: e, mantissaBits: m, specials: s)
            return Preset(name: name, aliases: aliases, format: f)
        }
        return [
            make("binary64", ["fp64", "float64", "double"], 11, 52, .ieee),
            make("binary32", ["fp32", "float32", "single"], 8, 23, .ieee),
            make("tf32", [], 8, 10, .ieee),
            make("bfloat16", ["bf16"], 8, 7, .ieee),
            make("binary16", ["fp16", "float16", "half"], 5, 10, .ieee),
            make("e5m2", ["fp8_e5m2", "float8_e5m2"], 5, 2, .ieee),
            make("e5m2fnuz", ["float8_e5m2fnuz"], 5, 2, .unsignedZeroNaN),
            make("e4m3", ["e4m3fn", "fp8_e4m3", "float8_e4m3fn"], 4, 3, .finiteNaN),
            make("e4m3fnuz", ["float8_e4m3fnuz"], 4, 3, .unsignedZeroNaN),
            make("e3m2", ["fp6_e3m2", "float6_e3m2fn"], 3, 2, .none),
            make("e2m3", ["fp6_e2m3", "float6_e2m3fn"], 2, 3, .none),
            make("e2m1", ["fp4", "fp4_e2m1", "float4_e2m1fn"], 2, 1, .none),
        ]
    }()

    /// The preset with this name or alias, if any.
    public static func preset(named name: String) -> FloatFormat? {
        let key = name.lowercased()
        return presets.first { $0.name == key || $0.aliases.contains(key) }?.format
    }

    /// Parses a format string into a grid (see the type's documentation for the accepted forms).
    ///
    /// - Throws: ``FormatError/unknownName(_:)`` for anything else, ``FormatError/invalid(_:)`` for out-of-range
    ///   parameters.
    public static func grid(named raw: String) throws -> any NumberGrid {
        let name = raw.trimmingCharacters(in: " \t").lowercased()
        if let f = preset(named: name) { return f }
        if name.hasPrefix("p=") {
            guard let p = Int(name.dropFirst(2)) else { throw FormatError.unknownName(raw) }
            return try FloatFormat.idealized(precision: p)
        }
        if name.hasPrefix("int") {
            let body = name.dropFirst(3)
            let parts = body.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bits = Int(parts[0]) else { throw FormatError.unknownName(raw) }
            var step = 1.0
            if parts.count == 2 {
                guard let s = Double(parts[1]) else { throw FormatError.unknownName(raw) }
                step = s
            }
            return try IntegerGrid(bits: bits, step: step)
        }
        if name.hasPrefix("e"), let m = name.firstIndex(of: "m") {
            guard let e = Int(name[name.index(after: name.startIndex)..<m]) else { throw FormatError.unknownName(raw) }
            var rest = name[name.index(after: m)...]
            var specials = FloatFormat.SpecialValues.ieee
            for (suffix, kind) in [("fnuz", FloatFormat.SpecialValues.unsignedZeroNaN), ("fn", .finiteNaN),
                                   ("finite", .none)] where rest.hasSuffix(suffix) {
                specials = kind
                rest = rest.dropLast(suffix.count)
                break
            }
            guard let mb = Int(rest) else { throw FormatError.unknownName(raw) }
            return try FloatFormat(exponentBits: e, mantissaBits: mb, specials: specials)
        }
        throw FormatError.unknownName(raw)
    }
}

extension StringProtocol {
    /// Trims the given characters from both ends (Foundation-free).
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
