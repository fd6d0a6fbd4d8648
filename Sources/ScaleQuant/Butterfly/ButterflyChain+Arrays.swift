/// Conversion between chains and the `.npz` layout shared with lazylinop: members `factor_0`, `factor_1`, …
/// (leftmost factor first), each a 4-D float array of shape (a, b, c, d) holding the factor's `ks_values`
/// (entry [i_a, i_b, i_c, i_d] at row i_a·b·d + i_b·d + i_d, column i_a·c·d + i_c·d + i_d).
extension ButterflyChain {
    /// The member name of factor k: `factor_k`.
    public static func memberName(_ k: Int) -> String { "factor_\(k)" }

    /// The chain's factors as `(factor_k, 4-D float64 array)` pairs, in order.
    public func namedArrays() -> [(name: String, array: NDArray)] {
        factors.enumerated().map { k, f in
            // Shape and count agree by construction.
            (Self.memberName(k), try! NDArray(shape: [f.a, f.b, f.c, f.d], values: f.values))
        }
    }

    /// A chain from `factor_0` … `factor_{L−1}` arrays (any order; other members are an error).
    ///
    /// - Throws: ``ButterflyError`` if there are no factors, a name is not `factor_k`, an index is missing or
    ///   repeated, an array is not 4-D, a value is NaN or infinite, or consecutive factors do not chain.
    public init(namedArrays: [(name: String, array: NDArray)]) throws {
        var byIndex: [Int: NDArray] = [:]
        for (name, array) in namedArrays {
            guard name.hasPrefix("factor_"), let k = Int(name.dropFirst(7)), k >= 0, String(k) == name.dropFirst(7) else {
                throw ButterflyError.badPattern("unexpected member '\(name)': expected factor_0, factor_1, …")
            }
            guard byIndex.updateValue(array, forKey: k) == nil else {
                throw ButterflyError.badPattern("member '\(name)' appears twice")
            }
        }
        guard !byIndex.isEmpty else { throw ButterflyError.incompatible("no factor_k members") }
        var fs: [KSFactor] = []
        for k in 0..<byIndex.count {
            guard let array = byIndex[k] else { throw ButterflyError.badPattern("member factor_\(k) is missing") }
            guard array.shape.count == 4 else {
                throw ButterflyError.badPattern("factor_\(k) has shape \(array.shape): expected 4-D (a, b, c, d)")
            }
            if array.values.contains(where: { !$0.isFinite }) {
                throw ButterflyError.notFinite("factor_\(k) has NaN or infinite values")
            }
            let s = array.shape
            do { fs.append(try KSFactor(a: s[0], b: s[1], c: s[2], d: s[3], values: array.values)) } catch let e as ButterflyError {
                throw ButterflyError.badPattern("factor_\(k): \(e.description)")
            }
        }
        try self.init(factors: fs)
    }
}
