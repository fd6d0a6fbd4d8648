/// The rank-one solver's limits (``RankOne/checkLimits(_:grid:name:)``) as the perceptron pre-check of the C
/// interface reads them (`GraphNetwork.checkRankOneLimits`): the same checks and messages, refusals reported as
/// ``SparseFactorError/tooExpensive(_:)``. No limit is defined here.
public enum RankOneLimits {
    /// Largest |binade| of one parameter: the product of two stays within the solver's 2^±``RankOne/maxBinadeSpan``.
    public static let maxExponent = RankOne.maxBinadeSpan / 2

    /// ``RankOne/checkLimits(_:grid:name:)`` of `v`, named `label` in the message.
    ///
    /// - Throws: ``SparseFactorError/tooExpensive(_:)`` with the solver's one-line message.
    public static func check(_ v: [Double], grid: any NumberGrid, label: String) throws {
        do { try RankOne.checkLimits(v, grid: grid, name: label) } catch let e as RankOneError {
            throw SparseFactorError.tooExpensive(e.description)
        }
    }
}
