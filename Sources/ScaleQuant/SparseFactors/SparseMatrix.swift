/// A sparse matrix in coordinate (COO) form: entry k is `values[k]` at `(rows[k], columns[k])`.
///
/// The order of the entries is kept as given, so quantized values can be handed back in the caller's order (the
/// C interface and the Python package rely on it). Indices are validated at construction: in range, no two entries
/// at the same position, finite values. Explicitly stored zeros are allowed; they stay zero under any rounding.
/// ``columnIndex()`` and ``rowIndex()`` give the compressed (CSC/CSR) views used by the algorithms.
public struct SparseMatrix: Sendable, Equatable {
    /// Number of rows.
    public let rowCount: Int
    /// Number of columns.
    public let columnCount: Int
    /// Row index of each stored entry.
    public let rows: [Int]
    /// Column index of each stored entry.
    public let columns: [Int]
    /// Value of each stored entry.
    public var values: [Double]

    /// Number of stored entries.
    public var entryCount: Int { values.count }

    /// A matrix from coordinate arrays of equal length.
    ///
    /// - Throws: ``SparseFactorError`` for negative shapes, arrays of different lengths, an index out of range, a
    ///   repeated position, or a NaN/infinite value.
    public init(rowCount: Int, columnCount: Int, rows: [Int], columns: [Int], values: [Double]) throws {
        guard rowCount >= 0, columnCount >= 0 else {
            throw SparseFactorError.invalidShape("negative shape \(rowCount)×\(columnCount)")
        }
        guard rows.count == values.count, columns.count == values.count else {
            throw SparseFactorError.invalidShape(
                "coordinate arrays differ in length (\(rows.count) rows, \(columns.count) columns, \(values.count) values)")
        }
        for k in 0..<values.count {
            guard rows[k] >= 0, rows[k] < rowCount, columns[k] >= 0, columns[k] < columnCount else {
                throw SparseFactorError.indexOutOfRange(entry: k, row: rows[k], column: columns[k],
                                                        rowCount: rowCount, columnCount: columnCount)
            }
            guard values[k].isFinite else { throw SparseFactorError.notFinite(entry: k) }
        }
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rows = rows
        self.columns = columns
        self.values = values
        // Repeated positions: sort the entries by (row, column) and compare neighbours.
        if values.count > 1 {
            let sorted = (0..<values.count).sorted { (rows[$0], columns[$0]) < (rows[$1], columns[$1]) }
            for k in 1..<sorted.count where rows[sorted[k]] == rows[sorted[k - 1]]
                && columns[sorted[k]] == columns[sorted[k - 1]] {
                throw SparseFactorError.duplicateEntry(row: rows[sorted[k]], column: columns[sorted[k]])
            }
        }
    }

    /// The matrix holding the non-zero entries of a dense row-major array, in row-major order.
    ///
    /// - Throws: ``SparseFactorError`` if `dense.count ≠ rowCount·columnCount` or a value is not finite.
    public init(rowCount: Int, columnCount: Int, dense: [Double]) throws {
        guard rowCount >= 0, columnCount >= 0, dense.count == rowCount * columnCount else {
            throw SparseFactorError.invalidShape("dense array of \(dense.count) values is not \(rowCount)×\(columnCount)")
        }
        var r: [Int] = [], c: [Int] = [], v: [Double] = []
        for i in 0..<rowCount {
            for j in 0..<columnCount where dense[i * columnCount + j] != 0 {
                r.append(i); c.append(j); v.append(dense[i * columnCount + j])
            }
        }
        try self.init(rowCount: rowCount, columnCount: columnCount, rows: r, columns: c, values: v)
    }

    /// A matrix from arrays known to be valid (equal lengths, indices in range, no repeated position, finite
    /// values), without the O(nnz·log nnz) validation.
    init(validRowCount rowCount: Int, columnCount: Int, rows: [Int], columns: [Int], values: [Double]) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// The transpose: the same entries, in the same order, with rows and columns exchanged.
    public func transposed() -> SparseMatrix {
        SparseMatrix(validRowCount: columnCount, columnCount: rowCount, rows: columns, columns: rows, values: values)
    }

    /// The same pattern with other values (same count, same order); no validation beyond the count.
    func replacingValues(_ newValues: [Double]) -> SparseMatrix {
        precondition(newValues.count == values.count, "replacingValues: count mismatch")
        var m = self
        m.values = newValues
        return m
    }

    /// The dense row-major array (rowCount·columnCount values).
    public func dense() -> [Double] {
        var out = [Double](repeating: 0, count: rowCount * columnCount)
        for k in 0..<values.count { out[rows[k] * columnCount + columns[k]] = values[k] }
        return out
    }

    /// A compressed index by column (CSC without copying values): the entries of column j are
    /// `order[starts[j]..<starts[j+1]]`, as indices into ``values``, in increasing row order.
    public func columnIndex() -> (starts: [Int], order: [Int]) {
        Self.compress(keys: columns, minor: rows, count: columnCount)
    }

    /// A compressed index by row (CSR without copying values): the entries of row i are
    /// `order[starts[i]..<starts[i+1]]`, as indices into ``values``, in increasing column order.
    public func rowIndex() -> (starts: [Int], order: [Int]) {
        Self.compress(keys: rows, minor: columns, count: rowCount)
    }

    /// Counting sort of the entries by `keys`, ties by `minor`.
    private static func compress(keys: [Int], minor: [Int], count: Int) -> (starts: [Int], order: [Int]) {
        var starts = [Int](repeating: 0, count: count + 1)
        for k in keys { starts[k + 1] += 1 }
        for j in 0..<count { starts[j + 1] += starts[j] }
        var next = starts
        var order = [Int](repeating: 0, count: keys.count)
        for (e, k) in keys.enumerated() {
            order[next[k]] = e
            next[k] += 1
        }
        for j in 0..<count where starts[j + 1] - starts[j] > 1 {
            order[starts[j]..<starts[j + 1]].sort { minor[$0] < minor[$1] }
        }
        return (starts, order)
    }

    /// `out += self · block`, where `block` is a row-major `columnCount × width` array and `out` a row-major
    /// `rowCount × width` array, the entries taken in `order` (``rowIndex()``'s: each output row sums its terms in
    /// increasing column order, whatever order the entries are stored in, so the bits do not depend on it).
    func multiplyAdd(_ block: UnsafeBufferPointer<Double>, width: Int, into out: UnsafeMutableBufferPointer<Double>,
                     order: [Int]) {
        for k in order {
            let v = values[k]
            if v == 0 { continue }
            let src = columns[k] * width, dst = rows[k] * width
            for t in 0..<width { out[dst + t] = out[dst + t].addingProduct(v, block[src + t]) }
        }
    }
}

/// Why a chain of sparse factors cannot be quantized.
public enum SparseFactorError: Error, CustomStringConvertible, Equatable {
    /// A shape is negative or arrays do not match it.
    case invalidShape(String)
    /// An entry lies outside the matrix.
    case indexOutOfRange(entry: Int, row: Int, column: Int, rowCount: Int, columnCount: Int)
    /// Two entries share a position.
    case duplicateEntry(row: Int, column: Int)
    /// An entry is NaN or infinite.
    case notFinite(entry: Int)
    /// The chain is empty.
    case emptyChain
    /// Factor `index` has `columns` columns but factor `index + 1` has `nextRows` rows.
    case shapeMismatch(index: Int, columns: Int, nextRows: Int)
    /// The rank-one terms X[:,i]·Y[i,:] of a pair overlap, so the pair is not a set of independent rank-one
    /// problems (terms `first` and `second` both contribute to entry (row, column) of the product).
    case overlappingTerms(pair: Int, first: Int, second: Int, row: Int, column: Int)
    /// The method code is unknown.
    case unknownMethod(String)
    /// A rank-one step is beyond the solver's limits (``RankOne/checkLimits(_:grid:name:)``): the message names the
    /// place in the chain and the limit.
    case tooExpensive(String)
    /// Factor `factor` (`rows` × `columns`) has no Kronecker-sparse support I_a ⊗ 1_{b×c} ⊗ I_d holding all its
    /// non-zero entries (within ``SparseMatrix/maxKroneckerSupport(entries:)`` positions), as the butterfly
    /// method right-to-left requires.
    case notKroneckerSparse(factor: Int, rows: Int, columns: Int)

    /// A message for people.
    public var description: String {
        switch self {
        case .invalidShape(let s): return "invalid shape: \(s)"
        case let .indexOutOfRange(e, r, c, m, n):
            return "entry \(e) at (\(r), \(c)) lies outside the \(m)×\(n) matrix"
        case let .duplicateEntry(r, c): return "two entries at position (\(r), \(c)); sum duplicates first"
        case .notFinite(let e): return "entry \(e) is NaN or infinite"
        case .emptyChain: return "the chain has no factors"
        case let .shapeMismatch(i, c, r):
            return "factor \(i) has \(c) columns but factor \(i + 1) has \(r) rows"
        case let .overlappingTerms(p, a, b, r, c):
            return "factors \(p) and \(p + 1): the rank-one terms X[:,\(a)]·Y[\(a),:] and X[:,\(b)]·Y[\(b),:] both "
                + "contribute to entry (\(r), \(c)) of their product, so the pair does not split into independent "
                + "rank-one problems; use the left-to-right method (l2r) instead"
        case .unknownMethod(let s): return "unknown method '\(s)' (expected rtn, pairwise, l2r or r2l)"
        case .tooExpensive(let s): return s
        case let .notKroneckerSparse(k, r, c):
            return "factor \(k) (\(r)×\(c)) is not Kronecker-sparse: no support I_a ⊗ 1_{b×c} ⊗ I_d holds its "
                + "non-zero entries, so the butterfly method r2l does not apply; use l2r (any sparse factors) instead"
        }
    }
}
