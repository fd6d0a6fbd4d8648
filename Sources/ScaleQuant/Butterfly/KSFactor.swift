/// A Kronecker-sparse factor with pattern (a, b, c, d): support I_a ⊗ 1_{b×c} ⊗ I_d, size (a·b·d) × (a·c·d)
/// (docs/Theory.md §3; the layout of lazylinop's `ks_values`).
///
/// The a·b·c·d values are stored flat in (a, b, c, d) row-major order: value index
/// `((i_a·b + i_b)·c + i_c)·d + i_d` is the entry at row `i_a·b·d + i_b·d + i_d`, column `i_a·c·d + i_c·d + i_d`.
/// Each row has c nonzeros (at most), each column b.
public struct KSFactor: Sendable, Equatable {
    /// The pattern (a, b, c, d).
    public let a: Int, b: Int, c: Int, d: Int
    /// The a·b·c·d values in (a, b, c, d) row-major order.
    public var values: [Double]

    /// A factor with pattern (a, b, c, d) and these values (count a·b·c·d).
    ///
    /// - Throws: ``ButterflyError/badPattern(_:)`` if a pattern entry is not positive or the count is wrong.
    public init(a: Int, b: Int, c: Int, d: Int, values: [Double]) throws {
        guard a > 0, b > 0, c > 0, d > 0 else {
            throw ButterflyError.badPattern("pattern (\(a),\(b),\(c),\(d)) must have positive entries")
        }
        let (n1, o1) = a.multipliedReportingOverflow(by: b)
        let (n2, o2) = n1.multipliedReportingOverflow(by: c)
        let (n, o3) = n2.multipliedReportingOverflow(by: d)
        guard !o1, !o2, !o3, values.count == n else {
            throw ButterflyError.badPattern("pattern (\(a),\(b),\(c),\(d)) needs \(n) values, got \(values.count)")
        }
        self.a = a; self.b = b; self.c = c; self.d = d
        self.values = values
    }

    /// A factor with pattern (a, b, c, d) and all values zero.
    public init(zerosWithPattern p: (Int, Int, Int, Int)) throws {
        try self.init(a: p.0, b: p.1, c: p.2, d: p.3, values: [Double](repeating: 0, count: p.0 * p.1 * p.2 * p.3))
    }

    /// The pattern (a, b, c, d).
    public var pattern: (Int, Int, Int, Int) { (a, b, c, d) }
    /// a·b·d.
    public var rowCount: Int { a * b * d }
    /// a·c·d.
    public var columnCount: Int { a * c * d }
    /// The number of stored values a·b·c·d (the nonzeros of the support).
    public var nonzeroCount: Int { values.count }

    /// The flat value index of (i_a, i_b, i_c, i_d).
    @inlinable public func valueIndex(_ ia: Int, _ ib: Int, _ ic: Int, _ id: Int) -> Int {
        ((ia * b + ib) * c + ic) * d + id
    }

    /// The b value indices of column `j`'s support (in increasing row order) and their rows.
    ///
    /// Complexity: O(b).
    public func columnSupport(_ j: Int) -> (rows: [Int], valueIndices: [Int]) {
        precondition(j >= 0 && j < columnCount, "column \(j) out of range")
        let ia = j / (c * d), ic = (j / d) % c, id = j % d
        var rows = [Int](), idx = [Int]()
        rows.reserveCapacity(b); idx.reserveCapacity(b)
        for ib in 0..<b {
            rows.append(ia * b * d + ib * d + id)
            idx.append(valueIndex(ia, ib, ic, id))
        }
        return (rows, idx)
    }

    /// The c value indices of row `i`'s support (in increasing column order) and their columns.
    ///
    /// Complexity: O(c).
    public func rowSupport(_ i: Int) -> (columns: [Int], valueIndices: [Int]) {
        precondition(i >= 0 && i < rowCount, "row \(i) out of range")
        let ia = i / (b * d), ib = (i / d) % b, id = i % d
        var cols = [Int](), idx = [Int]()
        cols.reserveCapacity(c); idx.reserveCapacity(c)
        for ic in 0..<c {
            cols.append(ia * c * d + ic * d + id)
            idx.append(valueIndex(ia, ib, ic, id))
        }
        return (cols, idx)
    }

    /// The factor times a dense matrix `x` of `columnCount` rows and `k` columns (row-major); returns the
    /// `rowCount` × `k` product, row-major.
    ///
    /// Complexity: O(nnz·k) = O(a·b·c·d·k).
    public func apply(matrix x: [Double], columns k: Int) -> [Double] {
        precondition(k >= 0 && x.count == columnCount * k, "apply: expected \(columnCount)×\(k) values, got \(x.count)")
        var out = [Double](repeating: 0, count: rowCount * k)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                values.withUnsafeBufferPointer { v in
                    Self.kernel(a, b, c, d, v, src, dst, k)
                }
            }
        }
        return out
    }

    /// The factor times a vector of length `columnCount`.
    ///
    /// Complexity: O(nnz).
    public func apply(_ x: [Double]) -> [Double] { apply(matrix: x, columns: 1) }

    /// out[row, :] += v · x[col, :] over the support, row-major with k columns.
    @usableFromInline
    static func kernel(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ v: UnsafeBufferPointer<Double>,
                       _ x: UnsafeBufferPointer<Double>, _ out: UnsafeMutableBufferPointer<Double>, _ k: Int) {
        guard let xb = x.baseAddress, let ob = out.baseAddress, let vb = v.baseAddress else { return }
        for ia in 0..<a {
            for ib in 0..<b {
                for ic in 0..<c {
                    let vbase = ((ia * b + ib) * c + ic) * d
                    let rbase = ia * b * d + ib * d
                    let cbase = ia * c * d + ic * d
                    for id in 0..<d {
                        let w = vb[vbase + id]
                        if w == 0 { continue }
                        let o = ob + (rbase + id) * k
                        let s = xb + (cbase + id) * k
                        for t in 0..<k { o[t] = o[t].addingProduct(w, s[t]) }
                    }
                }
            }
        }
    }

    /// The transpose: pattern (a, c, b, d) with value (i_a, i_c, i_b, i_d) = this factor's (i_a, i_b, i_c, i_d).
    ///
    /// Complexity: O(nnz).
    public func transposed() -> KSFactor {
        var t = [Double](repeating: 0, count: values.count)
        for ia in 0..<a {
            for ib in 0..<b {
                for ic in 0..<c {
                    for id in 0..<d {
                        t[((ia * c + ic) * b + ib) * d + id] = values[valueIndex(ia, ib, ic, id)]
                    }
                }
            }
        }
        // The pattern is valid by construction.
        return try! KSFactor(a: a, b: c, c: b, d: d, values: t)
    }

    /// The dense (a·b·d) × (a·c·d) matrix, row-major.
    ///
    /// Complexity: O(rows·columns) memory and time.
    public func dense() -> [Double] {
        let cols = columnCount
        var m = [Double](repeating: 0, count: rowCount * cols)
        for ia in 0..<a {
            for ib in 0..<b {
                for ic in 0..<c {
                    for id in 0..<d {
                        m[(ia * b * d + ib * d + id) * cols + ia * c * d + ic * d + id] = values[valueIndex(ia, ib, ic, id)]
                    }
                }
            }
        }
        return m
    }

    /// Whether every value is finite.
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }
}
