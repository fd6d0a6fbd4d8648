/// Foundation-free number formatting for tables and reports.
public enum NumberText {
    /// Shortest round-trip text of `x` (Swift's `description`) with a trailing `.0` dropped, so integral values
    /// read `448` rather than `448.0`; infinities print as `inf`/`-inf` and NaN as `nan`. The CLI's numbers and
    /// the `l2_path_metric` metadata of saved quantized models use it.
    public static func shortest(_ x: Double) -> String {
        let s = x.description
        return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }

    /// `x` with `digits` digits after the decimal point, e.g. `fixed(3.14159, 2) == "3.14"`.
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.description }
        guard x.magnitude < 1e15 else { return scientific(x) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (x * scale).rounded()
        let negative = r < 0
        let digitsString = String(UInt64(r.magnitude))
        let padded = String(repeating: "0", count: max(0, digits + 1 - digitsString.count)) + digitsString
        let intPart = padded.dropLast(digits)
        let fracPart = padded.suffix(digits)
        return (negative ? "-" : "") + intPart + (digits > 0 ? "." + fracPart : "")
    }

    /// `x` in scientific notation with `digits + 1` significant digits, e.g. `1.23e-04`.
    public static func scientific(_ x: Double, _ digits: Int = 2) -> String {
        guard x.isFinite, x != 0 else { return x.description }
        var e = 0, m = x.magnitude
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        var s = fixed(m, digits)
        if s.hasPrefix("10") { s = fixed(1, digits); e += 1 }
        let exp = (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
        return (x < 0 ? "-" : "") + s + "e" + exp
    }
}
