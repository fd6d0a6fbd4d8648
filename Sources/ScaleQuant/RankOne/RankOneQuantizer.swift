/// The outcome of quantizing a rank-one matrix xyᵀ to x̂ŷᵀ.
public struct RankOneResult: Sendable, Equatable {
    /// The quantized left vector (on the x grid).
    public var xHat: [Double]
    /// The quantized right vector (on the y grid).
    public var yHat: [Double]
    /// A scale λ with x̂ = Q(λx) (inside the winning piece).
    public var lambda: Double
    /// The scale μ = (x·x̂)/‖x̂‖² with ŷ = Q(μy).
    public var mu: Double
    /// ‖xyᵀ − x̂ŷᵀ‖_F / ‖xyᵀ‖_F, recomputed directly from the vectors.
    public var relativeError: Double
    /// The same error for round-to-nearest, x̂ = Q(x), ŷ = Q(y).
    public var rtnRelativeError: Double
    /// The number of candidate pieces evaluated.
    public var pieces: Int
}

/// Errors of rank-one quantization.
public enum RankOneError: Error, CustomStringConvertible, Equatable {
    /// An input vector is empty.
    case empty(String)
    /// An input has NaN or infinite entries.
    case notFinite(String, index: Int)
    /// Weights must be positive and finite.
    case badWeight(String, index: Int)
    /// Vectors that must have equal lengths do not.
    case lengthMismatch(String)
    /// The entries span more binades than the sweep can represent.
    case outOfRange(String)
    /// The exact sweep would exceed its time or memory budget.
    case tooLarge(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .empty(let n): return "\(n) is empty"
        case .notFinite(let n, let i): return "\(n)[\(i)] is NaN or infinite"
        case .badWeight(let n, let i): return "weight \(n)[\(i)] must be positive and finite"
        case .lengthMismatch(let s), .outOfRange(let s), .tooLarge(let s): return s
        }
    }
}

/// Optimal quantization of rank-one matrices (docs/Theory.md §2; R. Gribonval, T. Mary, E. Riccietti, *Optimal
/// quantization of rank-one matrices in floating-point arithmetic*, 2023, hal-04125381, Algorithm 5.1).
public enum RankOne {
    /// Returns x̂ ∈ G_x^m, ŷ ∈ G_y^n minimizing ‖xyᵀ − x̂ŷᵀ‖_F exactly, for any grid (F_p, a bounded float format
    /// with its subnormals and saturation, or an integer grid).
    ///
    /// - Complexity: O((m+n)·k·log((m+n)·k)) with k the rounding boundaries per coordinate over the scales that
    ///   matter (2^(p−1) per binade for a float format, q for an integer grid); the reference evaluates each of
    ///   the m·k candidates from scratch in O(m+n).
    /// - Throws: ``RankOneError`` for empty or non-finite input.
    public static func quantize(x: [Double], y: [Double], grid: any NumberGrid,
                                gridY: (any NumberGrid)? = nil) throws -> RankOneResult {
        try validate(x, "x"); try validate(y, "y")
        let gy = gridY ?? grid
        let ones = [Double](repeating: 1, count: max(x.count, y.count))
        let w = try solveWeighted(a: x, c: Array(ones[0..<x.count]), b: y, d: Array(ones[0..<y.count]),
                                  gridX: grid, gridY: gy, keepY: false)
        let rtnX = grid.round(x), rtnY = gy.round(y)
        return RankOneResult(xHat: w.xHat, yHat: w.yHat, lambda: w.lambda, mu: w.mu,
                             relativeError: relativeError(x, y, w.xHat, w.yHat),
                             rtnRelativeError: relativeError(x, y, rtnX, rtnY), pieces: w.pieces)
    }

    /// Rounds only x: returns x̂ = Q(λx) maximizing the cosine between x and x̂ over all λ > 0, and
    /// μ = (x·x̂)/‖x̂‖², so that μ·x̂ is the best multiple of x̂ approximating x. Used by left-to-right butterfly
    /// quantization (hal-04125381, Algorithm 7.3), where y stays exact and absorbs μ.
    ///
    /// - Complexity: O(m·k·log(m·k)), k boundaries per coordinate over the binades that matter.
    public static func quantizeKeepingY(x: [Double], grid: any NumberGrid) throws -> (xHat: [Double], lambda: Double,
                                                                                    mu: Double, pieces: Int) {
        try quantizeKeepingY(x: x, grid: grid, parallel: true)
    }

    /// ``quantizeKeepingY(x:grid:)`` with the solver's own use of several threads switched on or off.
    static func quantizeKeepingY(x: [Double], grid: any NumberGrid, parallel: Bool) throws
        -> (xHat: [Double], lambda: Double, mu: Double, pieces: Int) {
        try validate(x, "x")
        let w = try solveWeighted(a: x, c: [Double](repeating: 1, count: x.count), b: [1], d: [1],
                                  gridX: grid, gridY: grid, keepY: true, parallel: parallel)
        return (w.xHat, w.lambda, w.mu, w.pieces)
    }

    /// The result of the weighted problem.
    public struct WeightedResult: Sendable {
        /// x̂ on the x grid.
        public var xHat: [Double]
        /// ŷ on the y grid (μ·b/d itself when y is kept exact).
        public var yHat: [Double]
        /// Scale inside the winning piece, x̂ = Q(λ·a/c).
        public var lambda: Double
        /// μ = (Σ a x̂)/(Σ c x̂²), ŷ = Q(μ·b/d).
        public var mu: Double
        /// −2(Σ a x̂)(Σ b ŷ) + (Σ c x̂²)(Σ d ŷ²), recomputed from the vectors.
        public var objective: Double
        /// Candidate pieces evaluated.
        public var pieces: Int
    }

    /// Minimizes −2(Σ a_k x̂_k)(Σ b_j ŷ_j) + (Σ c_k x̂_k²)(Σ d_j ŷ_j²) over x̂ ∈ G_x^m, ŷ ∈ G_y^n, exactly
    /// (docs/Theory.md §2, weighted form; the per-neuron step of exact coordinate descent on networks).
    /// With `keepY`, ŷ is not rounded (ŷ = μ·b/d).
    ///
    /// - Complexity: as ``quantize(x:y:grid:gridY:)`` with a/c and b/d in place of x and y.
    public static func solveWeighted(a: [Double], c: [Double], b: [Double], d: [Double],
                                     gridX: any NumberGrid, gridY: any NumberGrid,
                                     keepY: Bool = false) throws -> WeightedResult {
        try solveWeighted(a: a, c: c, b: b, d: d, gridX: gridX, gridY: gridY, keepY: keepY, parallel: true)
    }

    /// ``solveWeighted(a:c:b:d:gridX:gridY:keepY:)`` with the solver's own use of several threads switched on or off
    /// (`parallel: false` for callers that run many problems side by side, such as the neurons of a network
    /// layer: the y tables are then also built only for the scales the sweep reaches) and the pruning of binades
    /// of λ by lower bounds on or off (`prune: false` is for tests and benchmarks). The answer is the same,
    /// bit for bit, in every combination.
    public static func solveWeighted(a: [Double], c: [Double], b: [Double], d: [Double],
                              gridX: any NumberGrid, gridY: any NumberGrid, keepY: Bool = false,
                              parallel: Bool, prune: Bool = true) throws -> WeightedResult {
        guard a.count == c.count else { throw RankOneError.lengthMismatch("a has \(a.count) entries, c has \(c.count)") }
        guard b.count == d.count else { throw RankOneError.lengthMismatch("b has \(b.count) entries, d has \(d.count)") }
        try validate(a, "a"); try validate(b, "b")
        for (i, v) in c.enumerated() where !(v > 0 && v.isFinite) { throw RankOneError.badWeight("c", index: i) }
        for (i, v) in d.enumerated() where !(v > 0 && v.isFinite) { throw RankOneError.badWeight("d", index: i) }
        let start = RankOneStatistics.threadTime()
        defer { RankOneStatistics.recordSolve(nanoseconds: RankOneStatistics.threadTime() - start) }
        return try dispatch(gridX, gridY, a: a, c: c, b: b, d: d, keepY: keepY, parallel: parallel, prune: prune)
    }

    private static func dispatch(_ gx: any NumberGrid, _ gy: any NumberGrid, a: [Double], c: [Double],
                                 b: [Double], d: [Double], keepY: Bool, parallel: Bool,
                                 prune: Bool) throws -> WeightedResult {
        // Bounded float formats: first through F_p, exact when its answer fits (see solveThroughIdealized).
        let orders = SlotOrderCache()
        if let fx = gx as? FloatFormat, let fy = gy as? FloatFormat,
           let r = try solveThroughIdealized(fx, fy, a: a, c: c, b: b, d: d, keepY: keepY, parallel: parallel,
                                             orders: orders) {
            return r
        }
        // Concrete grid types are dispatched by hand so that the hot loops are specialized.
        func withY<X: NumberGrid>(_ x: X) throws -> WeightedResult {
            switch gy {
            case let y as FloatFormat: return try solve(x, y, a: a, c: c, b: b, d: d, keepY: keepY, parallel: parallel, prune: prune,
                                                          orders: orders)
            case let y as IntegerGrid: return try solve(x, y, a: a, c: c, b: b, d: d, keepY: keepY, parallel: parallel, prune: prune,
                                                          orders: orders)
            default: return try solve(x, gy, a: a, c: c, b: b, d: d, keepY: keepY, parallel: parallel, prune: prune,
                                                          orders: orders)
            }
        }
        switch gx {
        case let x as FloatFormat: return try withY(x)
        case let x as IntegerGrid: return try withY(x)
        default: return try withY(gx)
        }
    }
}
