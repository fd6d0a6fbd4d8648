// Alternating exact block minimization of a channel problem, and the combined step used by coordinate descent.

extension ChannelProblem {
    /// Alternating exact block minimization from (x̂, ŷ): never increases f.
    ///
    /// For fixed ŷ, f is separable in x̂: f = Σ_o (−2α_o x̂_o + γ_o x̂_o²) + const with α_o = Σ_t A[t,o] U_t and
    /// γ_o = Σ_t C[t,o] P_t (U_t = Σ_k B[t,k] ŷ_k, P_t = Σ_k D[t,k] ŷ_k²). Each term is a one-dimensional convex
    /// quadratic γ_o(x̂_o − α_o/γ_o)² − α_o²/γ_o when γ_o > 0, so its minimizer over a grid is the grid value
    /// **nearest** to α_o/γ_o: x̂_o = Q_X(α_o/γ_o) (saturation gives the nearest value beyond the range; at a tie
    /// both neighbours are optimal). Symmetrically ŷ_k = Q_Y(β_k/δ_k) with β_k = Σ_t B[t,k] V_t, δ_k = Σ_t D[t,k] R_t
    /// for fixed x̂ (the bias on its own grid). A round is one x̂ step then one ŷ step; rounds repeat until neither
    /// step changes anything, or `maxRounds`.
    ///
    /// A coordinate only moves when its own term strictly decreases, and a block step is kept only if the directly
    /// recomputed f (the value ``objective(xHat:yHat:)`` returns) strictly decreases, so the result's objective is
    /// never larger than the input's. Coordinates without weights keep their value. When γ = 0 but α ≠ 0 the term is
    /// linear: the coordinate goes to ±`maxFinite` on a bounded grid and keeps its value on an unbounded one, where f
    /// is then unbounded below. (Path-metric weights keep f bounded below: there f + const is a squared distance.
    /// For arbitrary weights on F_p, refinement may walk towards −∞ until `maxRounds`; steps whose f is not finite
    /// are refused.)
    ///
    /// - Complexity: O(nnz + m + n) per round.
    /// - Throws: ``ChannelProblemError/sizeMismatch(_:)`` or ``ChannelProblemError/notFinite(_:)`` for a bad point.
    public func refine(xHat: [Double], yHat: [Double], maxRounds: Int = 100) throws -> Solution {
        try validatePoint(xHat: xHat, yHat: yHat)
        var current = combine(xHat: xHat, yHat: yHat)
        if neuronCount == 0 || current.isEmpty {
            return Solution(xHat: xHat, yHat: yHat, objective: evaluate(current), lambda: nil, pieces: 0, refinementRounds: 0)
        }
        let grids = (0..<(n + m)).map { grid(forColumn: $0) }
        var proposal = current
        var state = [Double](repeating: 0, count: 4 * neuronCount), trial = state
        var rounds = 0
        var f = 0.0
        withKernel { k in
            func recompute(_ v: [Double], _ s: inout [Double]) -> Double {
                v.withUnsafeBufferPointer { vp in s.withUnsafeMutableBufferPointer { sp in k.computeState(vp.baseAddress!, sp.baseAddress!) } }
            }
            f = recompute(current, &state)
            while rounds < maxRounds {
                rounds += 1
                var improved = false
                for block in [n..<(n + m), 0..<n] {
                    proposal = current
                    var changed = false
                    state.withUnsafeBufferPointer { sp in
                        let s = sp.baseAddress!
                        for col in block {
                            let other = s + (2 - k.ownSlot(col))
                            var alpha = 0.0, gamma = 0.0
                            for e in k.columnStart[col]..<k.columnStart[col + 1] {
                                let t = Int(k.offset[e])
                                alpha += k.linear[e] * other[t]
                                gamma += k.quadratic[e] * other[t + 1]
                            }
                            if alpha == 0 && gamma == 0 { continue }
                            let g = grids[col], target = alpha / gamma
                            let candidate: Double
                            if gamma > 0 && target.isFinite {
                                candidate = g.round(target)
                            } else if alpha != 0 && g.maxFinite.isFinite {
                                candidate = alpha > 0 ? g.maxFinite : -g.maxFinite
                            } else {
                                continue
                            }
                            let old = current[col]
                            if candidate != old
                                && candidate * (gamma * candidate - 2 * alpha) < old * (gamma * old - 2 * alpha) {
                                proposal[col] = candidate
                                changed = true
                            }
                        }
                    }
                    if changed {
                        let value = recompute(proposal, &trial)
                        if value < f && value.isFinite {
                            swap(&current, &proposal)
                            swap(&state, &trial)
                            f = value
                            improved = true
                        }
                    }
                }
                if !improved { break }
            }
        }
        let (xh, yh) = split(current)
        return Solution(xHat: xh, yHat: yh, objective: f, lambda: nil, pieces: 0, refinementRounds: rounds)
    }

    /// The channel step of coordinate descent: the better of `current` and the rescaling line search
    /// (``solveOverRescaling(options:)``), each improved by ``refine(xHat:yHat:maxRounds:)``.
    ///
    /// Never returns a point whose objective (as ``objective(xHat:yHat:)`` evaluates it) exceeds `current`'s; on a
    /// tie the point refined from `current` is returned, so a converged channel stays put. Coordinates without
    /// weights keep their `current` value (their family value when there is no `current`). The result is
    /// deterministic (it does not depend on thread timing).
    ///
    /// - Complexity: the line search's, plus O(nnz + m + n) per refinement round.
    /// - Throws: as ``solveOverRescaling(options:)``, and for a `current` point of the wrong size or with NaN/inf.
    public func solve(current: (xHat: [Double], yHat: [Double])? = nil, options: Options = Options()) throws -> Solution {
        if let current { try validatePoint(xHat: current.xHat, yHat: current.yHat) }
        var line = try solveOverRescaling(options: options)
        if let current {
            for o in 0..<m where columnStart[n + o + 1] == columnStart[n + o] { line.xHat[o] = current.xHat[o] }
            for k in 0..<n where columnStart[k + 1] == columnStart[k] { line.yHat[k] = current.yHat[k] }
        }
        var result = try refine(xHat: line.xHat, yHat: line.yHat, maxRounds: options.maxRefinementRounds)
        result.lambda = line.lambda
        result.pieces = line.pieces
        if let current {
            var kept = try refine(xHat: current.xHat, yHat: current.yHat, maxRounds: options.maxRefinementRounds)
            if kept.objective <= result.objective {
                kept.pieces = line.pieces
                result = kept
            }
        }
        return result
    }

    /// Checks a point's sizes and finiteness.
    func validatePoint(xHat: [Double], yHat: [Double]) throws {
        guard xHat.count == m, yHat.count == n else {
            throw ChannelProblemError.sizeMismatch("x̂ has \(xHat.count) entries (expected \(m)), ŷ has \(yHat.count) (expected \(n))")
        }
        for (i, v) in xHat.enumerated() where !v.isFinite { throw ChannelProblemError.notFinite("x̂[\(i)] = \(v)") }
        for (i, v) in yHat.enumerated() where !v.isFinite { throw ChannelProblemError.notFinite("ŷ[\(i)] = \(v)") }
    }
}
