import Testing
@testable import ScaleQuant

/// The tests of the baselines (GPTQ, bias correction, scaled and per-channel grids): `swift test --filter Baselines`.
@Suite enum Baselines {}

extension Baselines {
    /// GPTQ on one layer (``GPTQ``) against the optimal-brain-surgeon form written out plainly: the inverse of the
    /// damped H restricted to the unquantized columns, by Gauss–Jordan, recomputed after every column.
    @Suite struct GPTQTests {
        /// Inverse of an n × n matrix (Gauss–Jordan, partial pivoting).
        static func inverse(_ a: [Double], _ n: Int) -> [Double] {
            var m = a, inv = [Double](repeating: 0, count: n * n)
            for i in 0..<n { inv[i * n + i] = 1 }
            for c in 0..<n {
                let p = (c..<n).max { abs(m[$0 * n + c]) < abs(m[$1 * n + c]) }!
                for j in 0..<n { m.swapAt(c * n + j, p * n + j); inv.swapAt(c * n + j, p * n + j) }
                let d = m[c * n + c]
                for j in 0..<n { m[c * n + j] /= d; inv[c * n + j] /= d }
                for r in 0..<n where r != c && m[r * n + c] != 0 {
                    let f = m[r * n + c]
                    for j in 0..<n { m[r * n + j] -= f * m[c * n + j]; inv[r * n + j] -= f * inv[c * n + j] }
                }
            }
            return inv
        }

        /// The reference: columns in order; q_i = round(w_i) per row, then w_F −= (w_i − q_i)·[H_F⁻¹]_{:,i}/[H_F⁻¹]_ii.
        static func reference(_ w0: [Double], rows: Int, cols: Int, h: [Double], grids: [any NumberGrid],
                              bias: (any NumberGrid)?) -> [Double] {
            var hd = h
            var mean = (0..<cols).reduce(0) { $0 + h[$1 * cols + $1] } / Double(cols)
            if mean <= 0 { mean = 1 }
            for i in 0..<cols where h[i * cols + i] == 0 {
                for j in 0..<cols { hd[i * cols + j] = 0; hd[j * cols + i] = 0 }
                hd[i * cols + i] = 1
            }
            for i in 0..<cols { hd[i * cols + i] += 0.01 * mean }
            var w = w0, q = [Double](repeating: 0, count: rows * cols)
            var free = Array(0..<cols)
            for i in 0..<cols {
                let n = free.count
                var sub = [Double](repeating: 0, count: n * n)
                for (a, fa) in free.enumerated() { for (b, fb) in free.enumerated() { sub[a * n + b] = hd[fa * cols + fb] } }
                let inv = inverse(sub, n), at = free.firstIndex(of: i)!
                for r in 0..<rows {
                    let grid = (i == cols - 1 ? bias : nil) ?? grids[grids.count == 1 ? 0 : r]
                    q[r * cols + i] = grid.round(w[r * cols + i])
                    let e = w[r * cols + i] - q[r * cols + i]
                    for (a, f) in free.enumerated() { w[r * cols + f] -= e * inv[a * n + at] / inv[at * n + at] }
                }
                free.remove(at: at)
            }
            return q
        }

        /// A seeded layer: W (rows × cols), H = XᵀX/N from correlated, column-scaled gaussian rows (last input the
        /// constant 1 when `bias`; input `dead` always 0).
        static func layer(seed: UInt64, bias: Bool, dead: Int? = nil)
            -> (w: [Double], rows: Int, cols: Int, h: [Double]) {
            var rng = SeededGenerator(seed: seed)
            let rows = 3 + Int(rng.next() % 4), cols = 4 + Int(rng.next() % 7), n = 2 * cols + 5
            let mix = rng.gaussians(cols * cols), scales = (0..<cols).map { _ in 0.3 + 2 * rng.nextUnit() }
            let g = rng.gaussians(n * cols)
            var x = [Double](repeating: 0, count: n * cols)
            for s in 0..<n {
                for j in 0..<cols {
                    var v = g[s * cols + j]
                    for k in 0..<cols { v += 0.5 * g[s * cols + k] * mix[k * cols + j] }
                    x[s * cols + j] = (j == dead) ? 0 : (bias && j == cols - 1 ? 1 : scales[j] * v)
                }
            }
            var h = [Double](repeating: 0, count: cols * cols)
            for s in 0..<n { for i in 0..<cols { for j in 0..<cols { h[i * cols + j] += x[s * cols + i] * x[s * cols + j] / Double(n) } } }
            return (rng.gaussians(rows * cols).map { 0.7 * $0 }, rows, cols, h)
        }

        static func grids(_ kind: String, rows: Int, seed: UInt64) throws -> [any NumberGrid] {
            switch kind {
            case "e4m3": return [try FormatCatalog.grid(named: "e4m3")]
            case "int4@0.25": return [try IntegerGrid(bits: 4, step: 0.25)]
            default:
                var rng = SeededGenerator(seed: seed &+ 77)
                return try (0..<rows).map { _ in try IntegerGrid(bits: 3 + Int(rng.next() % 3), step: 0.1 + 0.3 * rng.nextUnit()) }
            }
        }

        @Test(arguments: ["e4m3", "int4@0.25", "rows"])
        func matchesOptimalBrainSurgeonReference(kind: String) throws {
            var differ = 0
            for seed in 1...12 as ClosedRange<UInt64> {
                for withBias in [false, true] {
                    let l = Self.layer(seed: seed, bias: withBias, dead: seed % 4 == 0 ? 1 : nil)
                    let g = try Self.grids(kind, rows: l.rows, seed: seed)
                    let b: (any NumberGrid)? = withBias ? try IntegerGrid(bits: 8, step: 0.01) : nil
                    let ref = Self.reference(l.w, rows: l.rows, cols: l.cols, h: l.h, grids: g, bias: b)
                    for block in [1, 3, 128] {
                        var o = GPTQOptions(); o.blockSize = block
                        let q = GPTQ.quantize(weights: l.w, rows: l.rows, cols: l.cols, hessian: l.h, rowGrids: g,
                                              lastColumnGrid: b, options: o)
                        #expect(q == ref, "\(kind) seed \(seed) bias \(withBias) block \(block)")
                    }
                    // The error feedback does something: most answers are not plain rounding.
                    let rtn = l.w.indices.map { i in
                        ((withBias && i % l.cols == l.cols - 1 ? b : nil) ?? g[g.count == 1 ? 0 : i / l.cols]).round(l.w[i])
                    }
                    if ref != rtn { differ += 1 }
                }
            }
            #expect(differ >= 18, "\(kind): \(differ) of 24 layers differ from RTN")
        }

        @Test(arguments: [false, true])
        func activationOrderIsTheReferenceOnPermutedColumns(withBias: Bool) throws {
            var permuted = 0
            for seed in 20...31 as ClosedRange<UInt64> {
                let l = Self.layer(seed: seed, bias: withBias, dead: seed % 3 == 0 ? 2 : nil)
                let g = try Self.grids("rows", rows: l.rows, seed: seed)
                let b: (any NumberGrid)? = withBias ? try FormatCatalog.grid(named: "e4m3") : nil
                let free = l.cols - (withBias ? 1 : 0)
                let perm = (0..<free).sorted { l.h[$0 * l.cols + $0] > l.h[$1 * l.cols + $1] } + (withBias ? [l.cols - 1] : [])
                if perm != Array(0..<l.cols) { permuted += 1 }
                let wp = (0..<(l.rows * l.cols)).map { l.w[($0 / l.cols) * l.cols + perm[$0 % l.cols]] }
                let hp = (0..<(l.cols * l.cols)).map { l.h[perm[$0 / l.cols] * l.cols + perm[$0 % l.cols]] }
                let rp = Self.reference(wp, rows: l.rows, cols: l.cols, h: hp, grids: g, bias: b)
                var ref = [Double](repeating: 0, count: rp.count)
                for r in 0..<l.rows { for j in 0..<l.cols { ref[r * l.cols + perm[j]] = rp[r * l.cols + j] } }
                for block in [1, 4, 128] {
                    var o = GPTQOptions(); o.activationOrder = true; o.blockSize = block
                    let q = GPTQ.quantize(weights: l.w, rows: l.rows, cols: l.cols, hessian: l.h, rowGrids: g,
                                          lastColumnGrid: b, options: o)
                    #expect(q == ref, "seed \(seed) block \(block) perm \(perm)")
                }
            }
            #expect(permuted >= 10)
        }

        @Test func reverseCholeskyAndInvertUpper() throws {
            var rng = SeededGenerator(seed: 5)
            for n in [1, 2, 5, 9] {
                let m = rng.gaussians(n * n)
                var a = [Double](repeating: 0, count: n * n)
                for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += m[i * n + k] * m[j * n + k] } } }
                for i in 0..<n { a[i * n + i] += 0.1 }
                let r = try #require(GPTQ.reverseCholesky(a, n)), u = GPTQ.invertUpper(r, n)
                let scale = a.reduce(0) { max($0, abs($1)) }
                for i in 0..<n {
                    #expect(r[i * n + i] > 0)
                    for j in 0..<i { #expect(r[i * n + j] == 0 && u[i * n + j] == 0) }
                    for j in 0..<n {
                        let rrt = (0..<n).reduce(0) { $0 + r[i * n + $1] * r[j * n + $1] }
                        let ru = (0..<n).reduce(0) { $0 + r[i * n + $1] * u[$1 * n + j] }
                        #expect(abs(rrt - a[i * n + j]) <= 1e-12 * scale, "n \(n) (\(i), \(j))")
                        #expect(abs(ru - (i == j ? 1 : 0)) <= 1e-12, "n \(n) (\(i), \(j))")
                    }
                }
            }
            #expect(GPTQ.reverseCholesky([1, 2, 2, 1], 2) == nil)
            #expect(GPTQ.reverseCholesky([1, 0, 0, 0, 1, 0, 0, 0, 0], 3) == nil)
            #expect(GPTQ.reverseCholesky([2, 1, 1, 2], 2) != nil)
        }

        /// tr((W − Q) H (W − Q)ᵀ).
        static func objective(_ w: [Double], _ q: [Double], rows: Int, cols: Int, h: [Double]) -> Double {
            var t = 0.0
            for r in 0..<rows {
                for i in 0..<cols { for j in 0..<cols { t += (w[r * cols + i] - q[r * cols + i]) * h[i * cols + j] * (w[r * cols + j] - q[r * cols + j]) } }
            }
            return t
        }

        @Test func beatsRoundToNearestOnAverageAndEqualsItForDiagonalH() throws {
            var gptq = 0.0, rtn = 0.0
            for seed in 100..<120 as Range<UInt64> {
                let l = Self.layer(seed: seed, bias: seed % 2 == 0)
                let g: [any NumberGrid] = try (0..<l.rows).map { r in  // int4 with absmax steps per row
                    try IntegerGrid(bits: 4, step: l.w[(r * l.cols)..<((r + 1) * l.cols)].reduce(0) { max($0, abs($1)) } / 7)
                }
                let q = GPTQ.quantize(weights: l.w, rows: l.rows, cols: l.cols, hessian: l.h, rowGrids: g, lastColumnGrid: nil)
                let r = l.w.indices.map { g[$0 / l.cols].round(l.w[$0]) }
                gptq += Self.objective(l.w, q, rows: l.rows, cols: l.cols, h: l.h)
                rtn += Self.objective(l.w, r, rows: l.rows, cols: l.cols, h: l.h)
            }
            #expect(gptq < 0.8 * rtn, "GPTQ \(gptq / 20), RTN \(rtn / 20)")
            for seed in 1...5 as ClosedRange<UInt64> {
                var l = Self.layer(seed: seed, bias: true)
                for i in 0..<l.cols { for j in 0..<l.cols where i != j { l.h[i * l.cols + j] = 0 } }
                let g = try Self.grids("rows", rows: l.rows, seed: seed)
                let b: any NumberGrid = try IntegerGrid(bits: 3, step: 0.3)
                for order in [false, true] {
                    var o = GPTQOptions(); o.activationOrder = order; o.blockSize = 3
                    let q = GPTQ.quantize(weights: l.w, rows: l.rows, cols: l.cols, hessian: l.h, rowGrids: g,
                                          lastColumnGrid: b, options: o)
                    let r = l.w.indices.map { ($0 % l.cols == l.cols - 1 ? b : g[$0 / l.cols]).round(l.w[$0]) }
                    #expect(q == r, "seed \(seed) act-order \(order)")
                }
            }
        }
    }
}
