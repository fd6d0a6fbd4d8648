/// The random rank-one study (hal-04125381, §6): how much the optimal quantization gains over round-to-nearest
/// on Gaussian vectors, as a function of the size and of the precision of the idealized grid F_p.
public enum RankOneStudy {
    /// One cell of the study: size m = n, precision p, and the statistics of optimal error / RTN error.
    public struct Row: Sendable, Equatable {
        /// m = n.
        public var size: Int
        /// Precision p of F_p.
        public var precision: Int
        /// Trials.
        public var trials: Int
        /// Mean over trials of ‖xyᵀ − x̂ŷᵀ‖/‖xyᵀ − Q(x)Q(y)ᵀ‖.
        public var meanRatio: Double
        /// Median over trials of the same ratio.
        public var medianRatio: Double
        /// Mean optimal relative error.
        public var meanOptimalError: Double
        /// Mean RTN relative error.
        public var meanRTNError: Double
    }

    /// Runs the study: for each (size, p), `trials` seeded draws x, y ~ N(0, I) (trial t of size m uses the
    /// generator seeded with `seed ^ (m << 32) ^ (p << 16) ^ t`).
    ///
    /// Complexity: trials × Σ O(m·2^(p−1)·log) per cell; cells run in parallel.
    public static func run(sizes: [Int], precisions: [Int], trials: Int, seed: UInt64 = 2023) throws -> [Row] {
        let cells = sizes.flatMap { m in precisions.map { (m, $0) } }
        let grids = try precisions.map { try FloatFormat.idealized(precision: $0) }
        let results = parallelMap(cells.count) { c -> Row in
            let (m, p) = cells[c]
            let grid = grids[precisions.firstIndex(of: p)!]
            var ratios: [Double] = [], opt = 0.0, rtn = 0.0
            for t in 0..<trials {
                var rng = SeededGenerator(seed: seed ^ (UInt64(m) << 32) ^ (UInt64(p) << 16) ^ UInt64(t))
                let x = rng.gaussians(m), y = rng.gaussians(m)
                // Gaussian input is finite and non-empty: quantize cannot throw here.
                let r = try! RankOne.quantize(x: x, y: y, grid: grid)
                ratios.append(r.rtnRelativeError > 0 ? r.relativeError / r.rtnRelativeError : 1)
                opt += r.relativeError; rtn += r.rtnRelativeError
            }
            ratios.sort()
            let median = ratios.count % 2 == 1 ? ratios[ratios.count / 2]
                : (ratios[ratios.count / 2 - 1] + ratios[ratios.count / 2]) / 2
            return Row(size: m, precision: p, trials: trials, meanRatio: ratios.reduce(0, +) / Double(trials),
                       medianRatio: median, meanOptimalError: opt / Double(trials), meanRTNError: rtn / Double(trials))
        }
        return results
    }
}
