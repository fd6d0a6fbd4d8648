/// A dense n-dimensional array in C (row-major) order, with values held as `Double` and the storage dtype it was
/// read with (or should be written with). Equality compares shape, dtype and values with `==`, so arrays
/// containing NaN are never equal.
public struct NDArray: Sendable, Equatable {
    /// The extent of each dimension; `[]` for a 0-D (scalar) array.
    public var shape: [Int]
    /// The elements in C order; `values.count` is the product of `shape`.
    public var values: [Double]
    /// The storage dtype.
    public var dtype: DType

    /// Creates an array, checking that the shape is non-negative and matches the number of values.
    ///
    /// - Throws: ``FileFormatError/malformed(file:reason:)`` (file `"<array>"`) if the shape is inconsistent.
    public init(shape: [Int], values: [Double], dtype: DType = .float64) throws {
        guard let n = NDArray.elementCount(of: shape) else {
            throw FileFormatError.malformed(file: "<array>", reason: "invalid shape \(shape)")
        }
        guard n == values.count else {
            throw FileFormatError.malformed(file: "<array>",
                                            reason: "shape \(shape) needs \(n) values but \(values.count) were given")
        }
        self.shape = shape
        self.values = values
        self.dtype = dtype
    }

    /// Creates a 1-D array from a vector.
    public init(vector: [Double], dtype: DType = .float64) {
        shape = [vector.count]
        values = vector
        self.dtype = dtype
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The number of elements, the product of `shape` (1 for a 0-D array).
    public var count: Int { values.count }

    /// The product of a shape's extents, or `nil` if an extent is negative or the product overflows `Int`.
    public static func elementCount(of shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }

    /// The same values stored as another dtype.
    ///
    /// - Throws: ``FileFormatError/notRepresentable(file:reason:)`` if a value would change.
    public func converted(to newType: DType) throws -> NDArray {
        var scratch: [UInt8] = []
        if let problem = newType.encode(values, into: &scratch) {
            throw FileFormatError.notRepresentable(file: "<array>", reason: problem)
        }
        var copy = self
        copy.dtype = newType
        return copy
    }
}
