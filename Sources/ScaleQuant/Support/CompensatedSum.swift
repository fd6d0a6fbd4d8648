/// A running sum with Neumaier's compensation: the rounding error of every addition is carried in a second word,
/// so that millions of small updates do not drift.
///
/// The rank-one sweep keeps S = Σ a x̂ and N = Σ c x̂² through millions of one-step updates and compares costs
/// that cancel to 7 or more digits; without compensation the accumulated rounding (≈ √K ulps after K updates)
/// was enough to rank two near-optimal states the wrong way (seen at m = n = 512 on binary16).
@usableFromInline
struct CompensatedSum {
    @usableFromInline var sum: Double = 0
    @usableFromInline var compensation: Double = 0

    @inlinable init() {}

    /// The sum, compensation included.
    @inlinable var value: Double { sum + compensation }

    /// Adds `x`.
    @inlinable mutating func add(_ x: Double) {
        let t = sum + x
        compensation += Swift.abs(sum) >= Swift.abs(x) ? (sum - t) + x : (x - t) + sum
        sum = t
    }
}
