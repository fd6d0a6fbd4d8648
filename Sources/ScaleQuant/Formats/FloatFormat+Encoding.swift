/// The result of encoding a real number into a format's bit pattern.
public struct EncodedValue: Hashable, Sendable {
    /// The code: sign bit, then exponent field, then mantissa field, right-aligned in 64 bits.
    public let code: UInt64
    /// True if the magnitude rounded above ``FloatFormat/maxFinite`` and the format's overflow rule applied
    /// (±inf for IEEE formats, NaN for FN/FNUZ, saturation for formats without special values).
    public let overflowed: Bool
}

extension FloatFormat {
    /// Decodes a bit pattern. Codes reserved for NaN decode to NaN, IEEE infinities to ±inf.
    ///
    /// - Precondition: the format is encodable and `code < 2^totalBits`.
    public func decode(_ code: UInt64) -> Double {
        guard let e = exponentBits, let bias else { preconditionFailure("F_p has no encoding") }
        let m = mantissaBits
        let signBit = (code >> UInt64(e + m)) & 1
        let eField = Int((code >> UInt64(m)) & ((1 << UInt64(e)) - 1))
        let mField = code & ((1 << UInt64(m)) &- 1)
        let allOnesE = (1 << e) - 1
        let allOnesM: UInt64 = (1 << UInt64(m)) &- 1
        switch specials {
        case .ieee where eField == allOnesE:
            return mField == 0 ? (signBit == 1 ? -.infinity : .infinity) : .nan
        case .finiteNaN where eField == allOnesE && mField == allOnesM:
            return .nan
        case .unsignedZeroNaN where signBit == 1 && eField == 0 && mField == 0:
            return .nan
        default:
            break
        }
        let magnitude: Double
        if eField == 0 {
            magnitude = hasSubnormals ? Double(sign: .plus, exponent: 1 - bias - m, significand: Double(mField)) : 0
        } else {
            let sig = Double(mField) + Double(sign: .plus, exponent: m, significand: 1)
            magnitude = Double(sign: .plus, exponent: eField - bias - m, significand: sig)
        }
        return signBit == 1 ? -magnitude : magnitude
    }

    /// Encodes `x`: rounds to nearest (ties to even) and applies the format's own overflow convention, which
    /// ``EncodedValue/overflowed`` reports. Quantization itself saturates instead; see ``round(_:)``.
    ///
    /// - Throws: ``FormatError/notEncodable(_:)`` for F_p, or for NaN in a format without a NaN code.
    public func encode(_ x: Double) throws -> EncodedValue {
        guard let e = exponentBits, let r = exponentRange, let bias else {
            throw FormatError.notEncodable("\(name) is idealized and has no bit encoding")
        }
        let m = mantissaBits
        let signShift = UInt64(e + m)
        let allOnesE = UInt64((1 << e) - 1)
        let allOnesM: UInt64 = (1 << UInt64(m)) &- 1
        let negative = x.sign == .minus
        let signBits: UInt64 = negative ? 1 << signShift : 0
        func nanCode() throws -> UInt64 {
            switch specials {
            case .ieee:
                // Without mantissa bits the all-ones exponent is ±inf only: there is no NaN code.
                guard m > 0 else { throw FormatError.notEncodable("\(name) has no NaN code; cannot encode NaN") }
                return (allOnesE << UInt64(m)) | 1 << UInt64(m - 1)
            case .finiteNaN: return (allOnesE << UInt64(m)) | allOnesM
            case .unsignedZeroNaN: return 1 << signShift
            case .none: throw FormatError.notEncodable("\(name) has no NaN code; cannot encode NaN")
            }
        }
        if x.isNaN { return EncodedValue(code: try nanCode(), overflowed: false) }
        let q = x.isInfinite ? Double.infinity : roundMagnitudeUnbounded(x.magnitude)
        if q > maxFinite {
            switch specials {
            case .ieee: return EncodedValue(code: signBits | (allOnesE << UInt64(m)), overflowed: !x.isInfinite)
            case .finiteNaN, .unsignedZeroNaN: return EncodedValue(code: try nanCode(), overflowed: true)
            case .none: return EncodedValue(code: signBits | magnitudeCode(maxFinite, bias: bias, emin: r.lowerBound),
                                            overflowed: true)
            }
        }
        if q == 0 {
            return EncodedValue(code: specials == .unsignedZeroNaN ? 0 : signBits, overflowed: false)
        }
        return EncodedValue(code: signBits | magnitudeCode(q, bias: bias, emin: r.lowerBound), overflowed: false)
    }

    /// The exponent and mantissa fields of a positive format value `q`.
    private func magnitudeCode(_ q: Double, bias: Int, emin: Int) -> UInt64 {
        let m = mantissaBits
        let exp = Int(q.exponent)
        if exp < emin {
            return UInt64(Double(sign: .plus, exponent: m - emin, significand: q))
        }
        let frac = Double(sign: .plus, exponent: m - exp, significand: q) - Double(sign: .plus, exponent: m, significand: 1)
        return (UInt64(exp + bias) << UInt64(m)) | UInt64(frac)
    }

    /// Every code of an encodable format of at most 16 bits, in increasing code order.
    public func allCodes() -> ClosedRange<UInt64>? {
        guard let bits = totalBits, bits <= 16 else { return nil }
        return 0...((1 << UInt64(bits)) - 1)
    }
}
