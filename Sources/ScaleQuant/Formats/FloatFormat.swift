/// A binary floating-point number format described by data, not by code paths (docs/Theory.md §1).
///
/// A format is its precision p (significand bits *including* the implicit leading bit; the papers' t), an
/// exponent range `emin…emax` (or none, for the idealized grid F_p of the theory), whether it has subnormals, and
/// which codes its encoding reserves for infinities and NaNs. Rounding to the format is the nearest-point map with
/// ties to even and saturation at ±``maxFinite``; encoding to bits with the format's own overflow rule is a
/// separate step (``encode(_:)``).
///
/// Every value of every format with p ≤ 53 and an exponent range inside binary64's is exactly a `Double`, so all
/// rounding here is exact: no double rounding.
public struct FloatFormat: Hashable, Sendable {
    /// Which encodings are reserved for non-finite values.
    public enum SpecialValues: String, Sendable, Hashable, CaseIterable {
        /// IEEE 754: the all-ones exponent encodes ±inf (zero mantissa) and NaN.
        case ieee
        /// OCP "FN" (e.g. E4M3FN): no infinities; only the all-ones code (per sign) is NaN; max is 448 for E4M3.
        case finiteNaN = "fn"
        /// "FNUZ": no infinities, no negative zero; the code of −0 is the only NaN; the bias is one larger.
        case unsignedZeroNaN = "fnuz"
        /// No special values at all (OCP MX FP6/FP4: every code is a finite number).
        case none
    }

    /// The name the format is known by (`"e4m3"`, `"bfloat16"`, `"p=7"` …).
    public let name: String
    /// Significand bits including the implicit leading bit (binary16: 11, bfloat16: 8, E4M3: 4, E2M1: 2).
    public let precision: Int
    /// Exponent field width for encodable formats; `nil` for the idealized grid F_p.
    public let exponentBits: Int?
    /// The exponent range `emin…emax` of normal numbers; `nil` for F_p (unbounded exponent).
    public let exponentRange: ClosedRange<Int>?
    /// Whether values below 2^emin are spaced uniformly down to 0 (gradual underflow).
    public let hasSubnormals: Bool
    /// The convention for special values in the encoding.
    public let specials: SpecialValues
    /// The largest finite value (`+infinity` for F_p).
    public let maxFinite: Double

    /// Unit roundoff u = 2^−p.
    public var unitRoundoff: Double { Double(sign: .plus, exponent: -precision, significand: 1) }
    /// Mantissa (fraction) bits, p − 1.
    public var mantissaBits: Int { precision - 1 }
    /// Whether this is the idealized grid F_p with unbounded exponent range.
    public var isIdealized: Bool { exponentRange == nil }
    /// Exponent bias of the encoding (`nil` for F_p).
    public var bias: Int? { exponentRange.map { 1 - $0.lowerBound } }
    /// Total bits of an encoded value: sign + exponent + mantissa (`nil` for F_p).
    public var totalBits: Int? { exponentBits.map { 1 + $0 + mantissaBits } }
    /// Smallest positive normal value 2^emin (0 for F_p).
    public var smallestNormal: Double {
        exponentRange.map { Double(sign: .plus, exponent: $0.lowerBound, significand: 1) } ?? 0
    }

    /// Creates an encodable format from its field widths, IEEE-style bias 2^(E−1)−1 (one more for FNUZ).
    ///
    /// - Throws: ``FormatError`` if the widths are out of range (1 ≤ E ≤ 11, 0 ≤ M ≤ 52, and the range must fit
    ///   binary64's so that every value is a `Double`).
    public init(name: String? = nil, exponentBits e: Int, mantissaBits m: Int,
                specials: SpecialValues = .ieee, subnormals: Bool = true) throws {
        guard (1...11).contains(e), (0...52).contains(m) else {
            throw FormatError.invalid("exponent bits must be 1…11 and mantissa bits 0…52 (got e\(e)m\(m))")
        }
        let bias = (1 << (e - 1)) - 1 + (specials == .unsignedZeroNaN ? 1 : 0)
        let topCode = (1 << e) - 1
        // FN without mantissa bits: the all-ones exponent holds only the NaN code, so it has no finite value.
        let topFinite = specials == .ieee || (specials == .finiteNaN && m == 0) ? topCode - 1 : topCode
        let emax = topFinite - bias
        let emin = 1 - bias
        guard emin >= -1022, emax <= 1023, emax >= emin else {
            throw FormatError.invalid("e\(e)m\(m) with \(specials.rawValue) specials has no usable exponent range")
        }
        if specials == .ieee && e == 1 {
            throw FormatError.invalid("an IEEE-style format needs at least 2 exponent bits")
        }
        if specials == .finiteNaN && m == 0 && e == 1 {
            throw FormatError.invalid("e1m0fn has no finite non-zero value")
        }
        let p = m + 1
        // Largest significand: all ones, except FN formats whose all-ones code in the top binade is NaN.
        // Built as significand·2^emax: 2^(emax+1) itself overflows binary64 when emax = 1023.
        let ulpOne = Double(sign: .plus, exponent: -m, significand: 1)
        let maxSignificand = specials == .finiteNaN && m > 0 ? 2 - 2 * ulpOne : 2 - ulpOne
        let maxFinite = Double(sign: .plus, exponent: emax, significand: maxSignificand)
        self.name = name ?? "e\(e)m\(m)" + (specials == .finiteNaN ? "fn" : specials == .unsignedZeroNaN ? "fnuz" : "")
        self.precision = p
        self.exponentBits = e
        self.exponentRange = emin...emax
        self.hasSubnormals = subnormals
        self.specials = specials
        self.maxFinite = maxFinite
    }

    /// The idealized grid F_p: p significant bits, unbounded exponent, no saturation (docs/Theory.md §1, the papers'
    /// setting). Values are limited only by binary64 itself.
    public static func idealized(precision p: Int) throws -> FloatFormat {
        guard (1...53).contains(p) else { throw FormatError.invalid("precision p must be 1…53 (got \(p))") }
        return FloatFormat(idealizedPrecision: p)
    }

    private init(idealizedPrecision p: Int) {
        name = "p=\(p)"
        precision = p
        exponentBits = nil
        exponentRange = nil
        hasSubnormals = true
        specials = .none
        maxFinite = .infinity
    }
}

/// An error in a format description or a format name.
public enum FormatError: Error, CustomStringConvertible, Equatable {
    /// The description is inconsistent or out of range.
    case invalid(String)
    /// The name is not a preset and does not parse.
    case unknownName(String)
    /// A value cannot be encoded (for instance NaN in a format without NaN).
    case notEncodable(String)

    public var description: String {
        switch self {
        case .invalid(let s): return "invalid format: \(s)"
        case .unknownName(let s):
            return "unknown format '\(s)' (try a preset such as fp16, bf16, e4m3, e2m1, int8, or eXmY, p=N, intN@STEP; "
                + "`scalequant formats` lists them)"
        case .notEncodable(let s): return s
        }
    }
}
