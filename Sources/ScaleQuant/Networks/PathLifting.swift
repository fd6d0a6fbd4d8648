/// Path-lifting measures of ReLU networks, computed without enumerating paths (A. Gonon, N. Brisebarre,
/// E. Riccietti, R. Gribonval, *A path-norm toolkit for modern networks*, arXiv 2310.01225, and *A
/// rescaling-invariant Lipschitz bound based on path-metrics*, arXiv 2405.15006; docs/Theory.md §4).
///
/// Φ(θ) has one coordinate per path ending at an output: paths from an input (value: product of its weights) and
/// paths from a neuron's bias (value: bias × product of the weights after it; an output's own bias is a path of
/// length zero). Every measure here is invariant under positive rescaling of hidden neurons. Each is one or two
/// passes over the parameters with identity activations on the all-ones input: O(parameters).
public enum PathLifting {
    /// Per layer, the identity-activation pass v_ℓ = F(W_ℓ, W'_ℓ)·v_{ℓ−1} + F(b_ℓ, b'_ℓ), v₀ = 1, elementwise F.
    /// Returns v₁ … v_L (the in-path sums of every neuron and output).
    static func forwardVectors(_ a: ReLUNetwork, _ b: ReLUNetwork,
                               _ f: (Double, Double) -> Double) -> [[Double]] {
        precondition(a.widths == b.widths, "networks have different architectures: \(a.widths) vs \(b.widths)")
        var v = [Double](repeating: 1, count: a.inputSize)
        var out: [[Double]] = []
        for (la, lb) in zip(a.layers, b.layers) {
            var next = [Double](repeating: 0, count: la.outputs)
            let n = la.inputs
            for o in 0..<la.outputs {
                var s = f(la.bias[o], lb.bias[o])
                for i in 0..<n { s += f(la.weight[o * n + i], lb.weight[o * n + i]) * v[i] }
                next[o] = s
            }
            out.append(next)
            v = next
        }
        return out
    }

    /// ‖Φ(θ)‖_q^q: the forward pass with |W|^q, |b|^q. O(parameters).
    public static func pathNormPower(_ net: ReLUNetwork, q: Double = 1) -> Double {
        let p: (Double, Double) -> Double = q == 1 ? { x, _ in abs(x) } : (q == 2 ? { x, _ in x * x }
                                                                              : { x, _ in pow(abs(x), q) })
        return forwardVectors(net, net, p).last!.reduce(0, +)
    }

    /// The ℓ_q path-norm ‖Φ(θ)‖_q = (‖Φ(θ)‖_q^q)^(1/q), q ≥ 1. O(parameters).
    public static func pathNorm(_ net: ReLUNetwork, q: Double = 1) -> Double {
        let s = pathNormPower(net, q: q)
        return q == 1 ? s : (q == 2 ? s.squareRoot() : pow(s, 1 / q))
    }

    /// ⟨Φ(θ), Φ(θ')⟩: the forward pass with W ⊙ W', b ⊙ b'. O(parameters).
    public static func innerProduct(_ a: ReLUNetwork, _ b: ReLUNetwork) -> Double {
        forwardVectors(a, b, *).last!.reduce(0, +)
    }

    /// ‖Φ(θ) − Φ(θ')‖₂ by polarization, sqrt(‖Φ‖² + ‖Φ'‖² − 2⟨Φ, Φ'⟩) (tiny negative values clamped to 0).
    /// Its absolute error is about u·‖Φ‖², so it loses all accuracy when the metric is below √u·‖Φ‖; prefer
    /// ``l2PathMetric(_:_:)``.
    public static func l2PathMetricByPolarization(_ a: ReLUNetwork, _ b: ReLUNetwork) -> Double {
        let s = pathNormPower(a, q: 2) + pathNormPower(b, q: 2) - 2 * innerProduct(a, b)
        return max(s, 0).squareRoot()
    }

    /// The exact ℓ² path-metric ‖Φ(θ) − Φ(θ')‖₂, without cancellation.
    ///
    /// Φ(θ) − Φ(θ') is not the lifting of any network, but its squared norm obeys a recurrence over neurons. With
    /// Δ_k = Φ_k − Φ'_k restricted to the in-paths of unit k, E_k = ‖Δ_k‖², G_k = ⟨Δ_k, Φ'_k⟩, B_k = ‖Φ'_k‖²
    /// (inputs: E = G = 0, B = 1) and d = w − w' for the edge k → o:
    ///   E_o = Σ_k [w² E_k + 2 w d G_k + d² B_k] + (b_o − b'_o)²,
    ///   G_o = Σ_k [w w' G_k + d w' B_k] + (b_o − b'_o) b'_o,
    ///   B_o = Σ_k w'² B_k + b'_o²,
    /// and ‖Φ − Φ'‖² = Σ_outputs E. The intermediate E_k, G_k are not rescaling-invariant, so both networks are
    /// first brought to their ``ReLUNetwork/normalForm()`` (which does not change Φ): then, for close networks,
    /// every term is of size ‖Δ‖·‖Φ‖ or smaller and the absolute error is about u·‖Δ‖·‖Φ‖ (times a depth
    /// factor) instead of u·‖Φ‖²: relative accuracy ≈ u·‖Φ‖/‖Δ‖, not u·‖Φ‖²/‖Δ‖² as with polarization.
    /// - Complexity: O(parameters).
    public static func l2PathMetric(_ a: ReLUNetwork, _ b: ReLUNetwork) -> Double {
        max(squaredL2PathMetric(a, b), 0).squareRoot()
    }

    /// ‖Φ(θ) − Φ(θ')‖₂², by the recurrence of ``l2PathMetric(_:_:)``. O(parameters).
    public static func squaredL2PathMetric(_ a: ReLUNetwork, _ b: ReLUNetwork) -> Double {
        precondition(a.widths == b.widths, "networks have different architectures: \(a.widths) vs \(b.widths)")
        return squaredL2PathMetricAligned(a.normalForm().network, b.normalForm().network)
    }

    /// The recurrence of ``l2PathMetric(_:_:)`` on the networks as given (no normal form).
    static func squaredL2PathMetricAligned(_ a: ReLUNetwork, _ b: ReLUNetwork) -> Double {
        var e = [Double](repeating: 0, count: a.inputSize)
        var g = e
        var bb = [Double](repeating: 1, count: a.inputSize)
        for (la, lb) in zip(a.layers, b.layers) {
            let n = la.inputs
            var e2 = [Double](repeating: 0, count: la.outputs), g2 = e2, b2 = e2
            for o in 0..<la.outputs {
                let db = la.bias[o] - lb.bias[o]
                var se = db * db, sg = db * lb.bias[o], sb = lb.bias[o] * lb.bias[o]
                for i in 0..<n {
                    let w = la.weight[o * n + i], w2 = lb.weight[o * n + i], d = w - w2
                    se += w * w * e[i] + 2 * w * d * g[i] + d * d * bb[i]
                    sg += w * w2 * g[i] + d * w2 * bb[i]
                    sb += w2 * w2 * bb[i]
                }
                e2[o] = se; g2[o] = sg; b2[o] = sb
            }
            e = e2; g = g2; bb = b2
        }
        return e.reduce(0, +)
    }

    /// Whether θ and θ' agree in sign coordinatewise (θ_k·θ'_k ≥ 0), the hypothesis of the ℓ¹ bounds.
    public static func signsAgree(_ a: ReLUNetwork, _ b: ReLUNetwork) -> Bool {
        guard a.widths == b.widths else { return false }
        for (la, lb) in zip(a.layers, b.layers) {
            for (x, y) in zip(la.weight, lb.weight) where x * y < 0 { return false }
            for (x, y) in zip(la.bias, lb.bias) where x * y < 0 { return false }
        }
        return true
    }

    /// An upper bound on the ℓ¹ path-metric ‖Φ(θ) − Φ(θ')‖₁: ‖Φ(max(|θ|,|θ'|))‖₁ − ‖Φ(min(|θ|,|θ'|))‖₁ (our
    /// derivation, docs/Theory.md §4: when the signs agree each path's |Πθ − Πθ'| lies between the products of the
    /// entrywise minima and maxima). The expression is not rescaling-invariant, while Φ(θ') is: so it is evaluated
    /// both for θ' as given and for θ' rescaled to match θ neuron by neuron (``aligned(_:to:)``; a positive
    /// rescaling keeps the signs and Φ), and the smaller value is returned — both are valid bounds. Each
    /// evaluation is one pass without cancellation: with U_k, L_k the ℓ¹ in-path sums of the max and min networks,
    /// D_k = U_k − L_k obeys D_o = Σ_k [M D_k + (M − m) L_k] + (M_b − m_b), a sum of non-negative terms.
    /// Returns `nil` when the signs disagree (the bound would not hold).
    /// - Complexity: O(parameters).
    public static func l1PathMetricBound(_ a: ReLUNetwork, _ b: ReLUNetwork) -> Double? {
        guard signsAgree(a, b) else { return nil }
        return min(l1BoundAsGiven(a, b), l1BoundAsGiven(a, aligned(b, to: a)))
    }

    /// `b` rescaled (positive factors, so Φ(b) and the signs are unchanged) so that each hidden neuron's incoming
    /// row and bias best match `a`'s in least squares, layer by layer (factors that are not positive are 1). O(P).
    public static func aligned(_ b: ReLUNetwork, to a: ReLUNetwork) -> ReLUNetwork {
        var out = b
        for l in 0..<(a.layers.count - 1) {
            let la = a.layers[l], lb = out.layers[l]
            var f = [Double](repeating: 1, count: la.outputs)
            for i in 0..<la.outputs {
                var num = la.bias[i] * lb.bias[i], den = lb.bias[i] * lb.bias[i]
                for k in 0..<la.inputs {
                    let x = la.weight[i * la.inputs + k], y = lb.weight[i * la.inputs + k]
                    num += x * y; den += y * y
                }
                let s = num / den
                if den > 0, s > 0, s.isFinite { f[i] = s }
            }
            out.layers[l].scale(rows: f, columnsDividedBy: nil)
            out.layers[l + 1].scale(rows: nil, columnsDividedBy: f)
        }
        return out
    }

    /// ‖Φ(max(|θ|,|θ'|))‖₁ − ‖Φ(min(|θ|,|θ'|))‖₁ for the parameters as given (one cancellation-free pass).
    static func l1BoundAsGiven(_ a: ReLUNetwork, _ b: ReLUNetwork) -> Double {
        var d = [Double](repeating: 0, count: a.inputSize)
        var lo = [Double](repeating: 1, count: a.inputSize)
        for (la, lb) in zip(a.layers, b.layers) {
            let n = la.inputs
            var d2 = [Double](repeating: 0, count: la.outputs), lo2 = d2
            for o in 0..<la.outputs {
                let x = abs(la.bias[o]), y = abs(lb.bias[o])
                var sd = max(x, y) - min(x, y), sl = min(x, y)
                for i in 0..<n {
                    let p = abs(la.weight[o * n + i]), q = abs(lb.weight[o * n + i])
                    let hi = max(p, q), m = min(p, q)
                    sd += hi * d[i] + (hi - m) * lo[i]
                    sl += m * lo[i]
                }
                d2[o] = sd; lo2[o] = sl
            }
            d = d2; lo = lo2
        }
        return d.reduce(0, +)
    }

    /// A certified bound on ‖R_θ(x) − R_θ'(x)‖₁ over the box ‖x‖_∞ ≤ r: max(r, 1) times
    /// ``l1PathMetricBound(_:_:)`` (arXiv 2405.15006, for parameters with agreeing signs); `nil` when the signs
    /// disagree. O(parameters).
    public static func certifiedOutputBound(_ a: ReLUNetwork, _ b: ReLUNetwork, radius r: Double = 1) -> Double? {
        l1PathMetricBound(a, b).map { max(r, 1) * $0 }
    }

    /// Brute-force path enumeration (a test oracle; exponential in depth): the value of every coordinate of Φ(θ),
    /// in a fixed order (per output; per incoming unit recursively, then the bias path), so two networks of the
    /// same architecture list the same paths in the same order.
    public static func enumeratePaths(_ net: ReLUNetwork) -> [Double] {
        var inPaths: [[Double]] = Array(repeating: [1], count: net.inputSize)
        for layer in net.layers {
            var next: [[Double]] = []
            for o in 0..<layer.outputs {
                var p: [Double] = []
                for k in 0..<layer.inputs {
                    let w = layer[o, k]
                    p += inPaths[k].map { w * $0 }
                }
                p.append(layer.bias[o])
                next.append(p)
            }
            inPaths = next
        }
        return inPaths.flatMap { $0 }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
