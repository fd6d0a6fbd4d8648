import Foundation
@testable import ScaleQuant

/// One golden table written by `scripts/make_format_fixtures.py` from ml_dtypes: the value of every code, and
/// ml_dtypes' own casts of binary32-exact inputs.
struct FormatTable: Sendable {
    let preset: String
    let dtype: String
    let bits: Int
    /// `values[code]` as ml_dtypes decodes it (NaN and ±inf included).
    let values: [Double]
    /// (binary32-exact input, code ml_dtypes casts it to).
    let casts: [(input: Double, code: UInt64)]
    /// Finite non-negative values with their codes, increasing (−0 and other zero codes dropped).
    let nonNegative: [(value: Double, code: UInt64)]

    init(preset: String, dtype: String, bits: Int, values: [Double], casts: [(input: Double, code: UInt64)]) {
        self.preset = preset; self.dtype = dtype; self.bits = bits; self.values = values; self.casts = casts
        var pos: [(Double, UInt64)] = []
        for (c, v) in values.enumerated() where v.isFinite && v.sign == .plus { pos.append((v, UInt64(c))) }
        nonNegative = pos.sorted { $0.0 < $1.0 }
    }

    /// The ≤ 8-bit presets that have a fixture.
    static let presetNames = ["e5m2", "e5m2fnuz", "e4m3", "e4m3fnuz", "e3m2", "e2m3", "e2m1"]

    static func load(_ preset: String) throws -> FormatTable {
        let path = try TestFixtures.path("formats", "\(preset).txt")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var dtype = "", bits = 0
        var values: [Double] = [], casts: [(Double, UInt64)] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ").map(String.init)
            guard f.count >= 3 else { throw FixtureError("\(path): bad line '\(line)'") }
            switch f[0] {
            case "format":
                guard f[1] == preset, f.count == 4, let b = Int(f[3]) else {
                    throw FixtureError("\(path): bad header '\(line)'")
                }
                dtype = f[2]; bits = b
            case "code":
                guard let c = UInt64(f[1].dropFirst(2), radix: 16), c == UInt64(values.count),
                      let v = parseValue(f[2]) else { throw FixtureError("\(path): bad code line '\(line)'") }
                values.append(v)
            case "cast":
                guard let x = parseValue(f[1]), x.isFinite, let c = UInt64(f[2].dropFirst(2), radix: 16) else {
                    throw FixtureError("\(path): bad cast line '\(line)'")
                }
                casts.append((x, c))
            default: throw FixtureError("\(path): unknown line '\(line)'")
            }
        }
        guard bits > 0, values.count == 1 << bits else { throw FixtureError("\(path): incomplete table") }
        return FormatTable(preset: preset, dtype: dtype, bits: bits, values: values, casts: casts)
    }

    /// Hex floats, `inf`, `-inf`, `nan`; anything Swift cannot parse exactly is rejected.
    static func parseValue(_ s: String) -> Double? {
        switch s {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default:
            guard s.contains("0x"), s.contains("p") else { return nil }  // only exact hex floats
            return Double(s)
        }
    }

    var maxFinite: Double { nonNegative.last!.value }

    /// The reference rounding: the nearest table value, ties to the even code, saturating at ±max.
    func referenceRound(_ x: Double) -> Double {
        if x.isNaN { return x }
        let pos = nonNegative
        let a = x.magnitude
        let r: Double
        if a >= pos.last!.value {
            r = pos.last!.value
        } else {
            // Largest index with value ≤ a (binary search), then compare with the exact midpoint.
            var lo = 0, hi = pos.count - 1
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if pos[mid].value <= a { lo = mid } else { hi = mid }
            }
            let (v0, c0) = pos[lo], (v1, _) = pos[lo + 1]
            let m = v0 + (v1 - v0) / 2  // exact: the formats have ≤ 4 significant bits
            r = a < m ? v0 : a > m ? v1 : (c0 % 2 == 0 ? v0 : v1)
        }
        return x < 0 ? -r : r
    }
}

/// Rounds with the format's buffer loop (`round(_:into:)`), not the scalar path.
func bufferRound(_ g: some NumberGrid, _ xs: [Double]) -> [Double] {
    var out = [Double](repeating: .nan, count: xs.count)
    xs.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { g.round(src, into: $0) } }
    return out
}

/// The named preset; crashes the test with a clear message if it is gone.
func preset(_ name: String) -> FloatFormat {
    guard let f = FormatCatalog.preset(named: name) else { fatalError("preset \(name) missing") }
    return f
}

extension SeededGenerator {
    /// A magnitude log-uniform in [2^lo, 2^hi) with a random 52-bit significand, with a random sign.
    mutating func logUniform(_ lo: Int, _ hi: Int, signed: Bool = true) -> Double {
        let e = lo + Int(next() % UInt64(hi - lo))
        let v = Double(sign: .plus, exponent: e, significand: 1 + nextUnit())
        return signed && next() & 1 == 1 ? -v : v
    }

    /// Uniform in [−r, r].
    mutating func symmetric(_ r: Double) -> Double { (2 * nextUnit() - 1) * r }
}

/// Equal as values, with NaN equal to NaN (the sign of zero is not compared).
func sameValue(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }
