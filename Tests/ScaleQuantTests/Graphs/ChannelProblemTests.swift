import Testing
@testable import ScaleQuant

/// Random channel problems and independent oracles (brute force over the family's pieces, over the whole grid).
struct ChannelTestSupport {
    var rng: SeededGenerator

    /// A random problem: x, y Gaussian times 2^[−spread, spread] with some zeros; weights present with probability
    /// `density`. Unstructured: A, B Gaussian, C, D uniform in [0, 2] (sometimes exactly 0), unrelated to x, y.
    /// Structured (the shape of path-metric weights): C = M, D = N̂ uniform in [0.2, 2], A = x⊙G, B = y⊙F with
    /// G ≈ M, F ≈ N̂ up to 20% noise; f is then bounded below.
    mutating func problem(m: Int, n: Int, neurons: Int, gridX: any NumberGrid, gridY: any NumberGrid,
                          biasGrid: (any NumberGrid)? = nil, density: Double = 0.6, spread: Double = 2,
                          scaleX: Double = 1, scaleY: Double = 1, structured: Bool = false) throws -> ChannelProblem {
        func value(_ scale: Double) -> Double {
            if rng.nextUnit() < 0.15 { return 0 }
            var v = rng.nextGaussian() * scale
            var e = (2 * rng.nextUnit() - 1) * spread
            while e > 0.5 { v *= 2; e -= 1 }
            while e < -0.5 { v /= 2; e += 1 }
            return v * (1 + e / 2)
        }
        let x = (0..<m).map { _ in value(scaleX) }, y = (0..<n).map { _ in value(scaleY) }
        func weights(_ v: [Double]) -> ChannelProblem.Weights {
            var columns = [[ChannelProblem.Entry]](repeating: [], count: v.count)
            for j in 0..<v.count {
                for t in 0..<neurons where rng.nextUnit() < density {
                    if structured {
                        let q = 0.2 + 1.8 * rng.nextUnit()
                        columns[j].append(.init(neuron: t, linear: v[j] * q * (1 + 0.2 * rng.nextGaussian()), quadratic: q))
                    } else {
                        let q = rng.nextUnit() < 0.1 ? 0 : 2 * rng.nextUnit()
                        columns[j].append(.init(neuron: t, linear: rng.nextGaussian(), quadratic: q))
                    }
                }
            }
            return ChannelProblem.Weights(columns: columns)
        }
        return try ChannelProblem(x: x, y: y, neuronCount: neurons, outgoing: weights(x), incoming: weights(y),
                                  gridX: gridX, gridY: gridY, biasGrid: biasGrid)
    }

    /// The family member (Q_X(x/λ), Q_Y(λy)), computed independently of the solver.
    static func member(_ p: ChannelProblem, _ lambda: Double) -> (x: [Double], y: [Double]) {
        let xh = p.x.map { p.gridX.round($0 / lambda) }
        var yh = p.y.map { p.gridY.round(lambda * $0) }
        if let b = p.biasGrid { yh[p.n - 1] = b.round(lambda * p.y[p.n - 1]) }
        return (xh, yh)
    }

    /// Every event point λ of the family (boundaries β of each coordinate's grid: β/|y_k|, |x_o|/β), restricted to
    /// [lo, hi) for unbounded grids. Coordinates without weights are included too (they do not change f).
    static func eventPoints(_ p: ChannelProblem, lo: Double = 0, hi: Double = .infinity) -> [Double] {
        var points: [Double] = []
        for (k, v) in p.y.enumerated() where v != 0 {
            let g = k == p.n - 1 ? (p.biasGrid ?? p.gridY) : p.gridY, z = abs(v)
            for beta in g.boundaries(from: lo * z, below: hi * z) { points.append(beta / z) }
        }
        for v in p.x where v != 0 {
            let z = abs(v)
            for beta in p.gridX.boundaries(from: hi.isFinite ? z / hi : 0, below: lo > 0 ? z / lo : .infinity) {
                points.append(z / beta)
            }
        }
        return points.sorted()
    }

    /// The minimum of f over one λ inside every piece between consecutive event points (and beyond both ends);
    /// pieces narrower than 1e-12 relative are skipped (their midpoint is ambiguous).
    static func bruteForceFamily(_ p: ChannelProblem, lo: Double = 0, hi: Double = .infinity) throws -> (value: Double, lambda: Double) {
        let points = eventPoints(p, lo: lo, hi: hi)
        var candidates: [Double] = []
        if let first = points.first { candidates.append(lo > 0 ? lo + (first - lo) / 2 : first / 2) } else { candidates.append(1) }
        for i in 1..<max(points.count, 1) where points[i] > points[i - 1] * (1 + 1e-12) {
            candidates.append(points[i - 1] + (points[i] - points[i - 1]) / 2)
        }
        if let last = points.last { candidates.append(hi.isFinite ? last + (hi - last) / 2 : 2 * last) }
        var best = (value: Double.infinity, lambda: 1.0)
        for lambda in candidates {
            let (xh, yh) = member(p, lambda)
            let f = try p.objective(xHat: xh, yHat: yh)
            if f < best.value { best = (f, lambda) }
        }
        return best
    }

    /// The minimum of f over a geometric scan λ = lo·ratio^i < hi.
    static func denseScan(_ p: ChannelProblem, lo: Double, hi: Double, ratio: Double) throws -> Double {
        var best = Double.infinity, lambda = lo
        while lambda < hi {
            let (xh, yh) = member(p, lambda)
            best = min(best, try p.objective(xHat: xh, yHat: yh))
            lambda *= ratio
        }
        return best
    }

    /// The λ range outside which f = 0 for bounded grids (every ŷ zero below, every x̂ zero above), widened.
    static func boundedRange(_ p: ChannelProblem) -> (lo: Double, hi: Double) {
        let firstY = p.y.enumerated().filter { $0.element != 0 }.map { k, v in
            (k == p.n - 1 ? (p.biasGrid ?? p.gridY) : p.gridY).nextUp(0) / 2 / abs(v)
        }.min() ?? 1
        let lastX = p.x.filter { $0 != 0 }.map { abs($0) / (p.gridX.nextUp(0) / 2) }.max() ?? 1
        return (firstY / 4, max(lastX, firstY) * 4)
    }

    /// The exact minimum over all of G_X^m × G_Y^n: every x̂ is enumerated, and for fixed x̂ f is separable in ŷ
    /// (f = Σ_k (−2β_k ŷ_k + δ_k ŷ_k²) + const with β_k = Σ_t B[t,k]V_t, δ_k = Σ_t D[t,k]R_t), so each ŷ_k is chosen by
    /// enumerating its grid values. With `full`, ŷ is enumerated jointly too (a check of the separability).
    static func bruteForceAll(_ p: ChannelProblem, full: Bool = false) throws -> (value: Double, x: [Double], y: [Double]) {
        func signed(_ g: any NumberGrid) -> [Double] {
            let v = g.nonNegativeValues()!
            return v + v.dropFirst().map { -$0 }
        }
        let gx = signed(p.gridX), gy = signed(p.gridY), gb = signed(p.biasGrid ?? p.gridY)
        func all(_ count: Int, _ values: (Int) -> [Double]) -> [[Double]] {
            var out: [[Double]] = [[]]
            for i in 0..<count { out = out.flatMap { prefix in values(i).map { prefix + [$0] } } }
            return out
        }
        let yValues: (Int) -> [Double] = { k in k == p.n - 1 ? gb : gy }
        var best = (value: 0.0, x: [Double](repeating: 0, count: p.m), y: [Double](repeating: 0, count: p.n))
        best.value = try p.objective(xHat: best.x, yHat: best.y)
        let ys = full ? all(p.n, yValues) : []
        for xh in all(p.m, { _ in gx }) {
            if full {
                for yh in ys {
                    let f = try p.objective(xHat: xh, yHat: yh)
                    if f < best.value { best = (f, xh, yh) }
                }
                continue
            }
            var yh = [Double](repeating: 0, count: p.n)
            for k in 0..<p.n {
                var bestV = 0.0, bestF = Double.infinity
                for v in yValues(k) {
                    var probe = yh
                    probe[k] = v
                    let f = try p.objective(xHat: xh, yHat: probe)
                    if f < bestF { bestF = f; bestV = v }
                }
                yh[k] = bestV
            }
            let f = try p.objective(xHat: xh, yHat: yh)
            if f < best.value { best = (f, xh, yh) }
        }
        return best
    }

    static func close(_ a: Double, _ b: Double, _ tol: Double) -> Bool {
        abs(a - b) <= tol * max(abs(a), abs(b), 1e-300)
    }
}

@Suite("Channel problem (convolution channel step)")
struct ChannelProblemTests {
    static let e2m1 = FormatCatalog.preset(named: "e2m1")!
    static let e3m2 = FormatCatalog.preset(named: "e3m2")!
    static let e4m3 = FormatCatalog.preset(named: "e4m3")!
    static let bf16 = FormatCatalog.preset(named: "bf16")!
    static let f3 = try! FloatFormat.idealized(precision: 3)
    static let int4 = try! IntegerGrid(bits: 4, step: 0.37)

    /// (grid, trials, bias grid) for the line-search checks.
    static let lineCases: [(grid: any NumberGrid, trials: Int, bias: (any NumberGrid)?)] = [
        (e2m1, 40, nil), (e3m2, 40, nil), (e4m3, 40, nil), (int4, 40, nil), (f3, 40, nil), (bf16, 3, nil),
        (e4m3, 20, try! IntegerGrid(bits: 8, step: 0.01)), (f3, 20, try! FloatFormat.idealized(precision: 5)),
        (e3m2, 20, e2m1),
    ]

    @Test("(a) line search = brute force over every piece, and no dense λ scan beats it", arguments: 0..<lineCases.count)
    func lineSearchBruteForce(caseIndex: Int) throws {
        let (grid, trials, bias) = Self.lineCases[caseIndex]
        var gen = ChannelTestSupport(rng: SeededGenerator(seed: 7100 + UInt64(caseIndex)))
        let periodic = grid.maxFinite == .infinity
        var withLambda = 0
        for trial in 0..<trials {
            let small = grid.positiveValueCount.map { $0 > 10_000 } ?? false
            let m = 1 + Int(gen.rng.next() % (small ? 3 : 5)), n = 1 + Int(gen.rng.next() % (small ? 3 : 5))
            let neurons = 1 + Int(gen.rng.next() % 3)
            // Every third problem has a narrow spread, so that bounded float grids get a regular window to skip.
            let spread = trial % 3 == 2 ? 0.4 : 3
            let scale = [1.0, 1e-2, 20][trial % 3]
            let p = try gen.problem(m: m, n: n, neurons: neurons, gridX: grid, gridY: grid, biasGrid: bias,
                                    density: 0.6, spread: spread, scaleX: scale, scaleY: 1 / scale.squareRoot(),
                                    structured: trial % 2 == 0)
            let ls = try p.solveOverRescaling()
            #expect(ls.objective == (try p.objective(xHat: ls.xHat, yHat: ls.yHat)))
            let range: (lo: Double, hi: Double)
            if periodic {
                let mx = p.x.map(abs).max()!, my = p.y.map(abs).max()!
                let c = mx > 0 && my > 0 ? (mx / my).squareRoot() : 1
                range = (c / 16, c * 16)
                // One binade suffices: f(2λ) = f(λ) exactly on F_p.
                for _ in 0..<5 {
                    let lambda = c * (0.1 + 3 * gen.rng.nextUnit())
                    let (x1, y1) = ChannelTestSupport.member(p, lambda), (x2, y2) = ChannelTestSupport.member(p, 2 * lambda)
                    #expect(try p.objective(xHat: x1, yHat: y1) == p.objective(xHat: x2, yHat: y2))
                }
            } else {
                range = ChannelTestSupport.boundedRange(p)
            }
            let bf = try ChannelTestSupport.bruteForceFamily(p, lo: periodic ? range.lo : 0, hi: periodic ? range.hi : .infinity)
            #expect(ChannelTestSupport.close(ls.objective, bf.value, 1e-9),
                    "\(grid) trial \(trial): line search \(ls.objective), brute force \(bf.value) at λ = \(bf.lambda)")
            // The returned point is the family member at the returned λ (up to coordinates without weights).
            if let lambda = ls.lambda {
                withLambda += 1
                let (xh, yh) = ChannelTestSupport.member(p, lambda)
                #expect(ChannelTestSupport.close(try p.objective(xHat: xh, yHat: yh), ls.objective, 1e-9),
                        "\(grid) trial \(trial): λ = \(lambda)")
            }
            let ratio = small ? 1.01 : 1.002
            let scan = try ChannelTestSupport.denseScan(p, lo: range.lo, hi: range.hi, ratio: ratio)
            #expect(scan >= ls.objective - 1e-9 * max(abs(scan), abs(ls.objective)), "\(grid) trial \(trial): scan \(scan) < \(ls.objective)")
        }
        // The member check above runs only where the line search moved to a λ: it must have run in most trials.
        #expect(withLambda * 2 >= trials, "\(grid): only \(withLambda) of \(trials) trials returned a λ")
    }

    /// N = 1, x = a/c, y = b/d: the family is a one-parameter subset of what RankOne.solveWeighted searches exactly,
    /// so the line search is never better, and it usually ties. It does NOT always tie: the family forces the same λ
    /// on both sides, while the optimum may need x̂ from one λ and ŷ from a slightly different one (see
    /// `familyMissesOptimum`). Seen here (seeds below), line search / solve() ties with the exact optimum:
    /// e2m1 50/50 / 50/50, e4m3 49/50 / 49/50, F_3 49/50 / 50/50, int3 49/50 / 49/50.
    @Test("(b) N = 1: the line search against the exact weighted rank-one solver", arguments: 0..<4)
    func rankOneComparison(gridIndex: Int) throws {
        let grid: any NumberGrid = [Self.e2m1, Self.e4m3, Self.f3, try IntegerGrid(bits: 3)][gridIndex]
        var rng = SeededGenerator(seed: 8200 + UInt64(gridIndex))
        var ties = 0, solveTies = 0
        let trials = 50
        for _ in 0..<trials {
            let m = 1 + Int(rng.next() % 6), n = 1 + Int(rng.next() % 6)
            let a = (0..<m).map { _ in rng.nextGaussian() }, b = (0..<n).map { _ in rng.nextGaussian() }
            let c = (0..<m).map { _ in 0.1 + 3 * rng.nextUnit() }, d = (0..<n).map { _ in 0.1 + 3 * rng.nextUnit() }
            let p = try ChannelProblem(x: zip(a, c).map { $0 / $1 }, y: zip(b, d).map { $0 / $1 }, a: [a], b: [b], c: [c], d: [d],
                                       gridX: grid, gridY: grid)
            let exact = try RankOne.solveWeighted(a: a, c: c, b: b, d: d, gridX: grid, gridY: grid)
            let exactValue = try p.objective(xHat: exact.xHat, yHat: exact.yHat)
            let ls = try p.solveOverRescaling(), full = try p.solve()
            #expect(ls.objective >= exactValue - 1e-12 * abs(exactValue), "\(grid): line search below the exact optimum")
            #expect(full.objective >= exactValue - 1e-12 * abs(exactValue))
            #expect(full.objective <= ls.objective)
            if ChannelTestSupport.close(ls.objective, exactValue, 1e-12) { ties += 1 }
            if ChannelTestSupport.close(full.objective, exactValue, 1e-12) { solveTies += 1 }
        }
        print("channel (b) \(grid): line search = rank-one optimum in \(ties)/\(trials), solve() in \(solveTies)/\(trials)")
        #expect(ties >= trials * 4 / 5, "\(grid): line search tied the exact optimum only \(ties)/\(trials) times")
        #expect(solveTies >= ties)
    }

    /// Documented counterexamples (found by the search of `rankOneComparison`): N = 1, x = a/c, y = b/d, and the
    /// exact optimum (RankOne.solveWeighted, itself checked against brute force in RankOneWeightedTests) is strictly better than every member of
    /// the family (Q(x/λ), Q(λy)): the λ-intervals where Q(x/λ) = x̂* and where Q(λy) = ŷ* do not overlap. The
    /// second is on the idealized grid F_3, so unbounded exponents do not rescue the family.
    @Test("(b') the rescaling family can miss the N = 1 optimum, also on F_p")
    func familyMissesOptimum() throws {
        let cases: [(any NumberGrid, [Double], [Double], [Double], [Double])] = [
            (try IntegerGrid(bits: 3),
             [1.8199424449603936, 0.8970870022810854, -1.4938878813924703, 0.07388337851097417, 0.8943257782780676, 0.8548263333849975],
             [-0.0727176516838429, -0.3491239594408205, -0.1642250647113859, 0.08766233843806297, 0.8795817776375685, 0.7715237389636576],
             [1.662759079242558, 0.436516764137136, 1.753825028484978, 1.4270381232985976, 2.5036181611287915, 0.907934318551707],
             [0.1541321046361546, 1.824612045105563, 2.528742339337303, 2.9805810249766895, 2.285766667816175, 1.373586546466035]),
            (Self.f3,
             [0.3790174074319738, 0.16320159613764498, 0.3929642026736772, -0.7532335232101922, 0.9453724208023568],
             [-0.39040301879926625, 2.1275265478446626, 0.3355420115764937, -0.10479422788031921, -0.5871406013993269, 1.8489987704444641],
             [3.0079810317934745, 0.8514424971908185, 2.350187318007854, 1.4337687068770397, 0.2914636283522346],
             [1.6261821332178403, 2.8921340270951736, 2.8379794102769256, 1.1994758506999619, 2.3705415560528422, 3.0589128355097808]),
        ]
        for (grid, a, b, c, d) in cases {
            let p = try ChannelProblem(x: zip(a, c).map { $0 / $1 }, y: zip(b, d).map { $0 / $1 }, a: [a], b: [b], c: [c], d: [d],
                                       gridX: grid, gridY: grid)
            let exact = try RankOne.solveWeighted(a: a, c: c, b: b, d: d, gridX: grid, gridY: grid)
            let exactValue = try p.objective(xHat: exact.xHat, yHat: exact.yHat)
            let ls = try p.solveOverRescaling()
            #expect(ls.objective > exactValue + 1e-5 * abs(exactValue), "\(grid): line search \(ls.objective), optimum \(exactValue)")
            // The family's optimum is what the brute force over its pieces finds (F_3: 8 binades around λ).
            let bf = try ChannelTestSupport.bruteForceFamily(p, lo: grid.maxFinite.isFinite ? 0 : ls.lambda! / 16,
                                                             hi: grid.maxFinite.isFinite ? .infinity : ls.lambda! * 16)
            #expect(ChannelTestSupport.close(bf.value, ls.objective, 1e-12))
            let s = try p.solve()
            print("channel (b') \(grid): exact optimum \(exactValue), line search \(ls.objective), solve() \(s.objective)")
            #expect(s.objective <= ls.objective && s.objective >= exactValue - 1e-12 * abs(exactValue))
        }
    }

    @Test("(c) solve() lies between the brute-force minimum over the whole grid and the line search", arguments: 0..<4)
    func bruteForceWholeGrid(caseIndex: Int) throws {
        let cases: [(any NumberGrid, (any NumberGrid)?)] = [
            (Self.e2m1, nil), (try IntegerGrid(bits: 3), nil), (try IntegerGrid(bits: 2), nil),
            (try IntegerGrid(bits: 3, step: 0.5), try IntegerGrid(bits: 2, step: 0.3)),
        ]
        let (grid, bias) = cases[caseIndex]
        var gen = ChannelTestSupport(rng: SeededGenerator(seed: 9300 + UInt64(caseIndex)))
        var attained = [0, 0], lineAttained = [0, 0]
        let trials = 40
        for trial in 0..<trials {
            let m = 1 + Int(gen.rng.next() % 3), n = 1 + Int(gen.rng.next() % 3), neurons = 1 + Int(gen.rng.next() % 3)
            let structured = trial % 2
            let p = try gen.problem(m: m, n: n, neurons: neurons, gridX: grid, gridY: grid, biasGrid: bias, density: 0.7,
                                    spread: 1.5, structured: structured == 1)
            let ls = try p.solveOverRescaling(), s = try p.solve()
            let bf = try ChannelTestSupport.bruteForceAll(p)
            if caseIndex == 2 && trial < 10 {
                // The smallest grid: the joint enumeration of ŷ agrees with the separable one.
                #expect(ChannelTestSupport.close(try ChannelTestSupport.bruteForceAll(p, full: true).value, bf.value, 1e-12))
            }
            let tol = 1e-12 * max(abs(bf.value), 1e-300)
            #expect(s.objective <= ls.objective)
            #expect(s.objective >= bf.value - tol, "\(grid) trial \(trial): solve \(s.objective) below brute force \(bf.value)")
            if s.objective <= bf.value + tol { attained[structured] += 1 }
            if ls.objective <= bf.value + tol { lineAttained[structured] += 1 }
        }
        // Seen with these seeds (structured / unstructured, of 20 each): solve() e2m1 19 / 9, int3 20 / 12,
        // int2 20 / 18, int3@0.5 with an int2@0.3 bias 20 / 17; the line search alone 19 / 5, 20 / 5, 20 / 8, 20 / 6.
        // (Which of several equally good pieces the line search returns, and so where refinement ends, may vary
        // with the rounding of the tracked sums; the line search's value does not.)
        // On path-metric-shaped weights the family almost always contains the optimum; on arbitrary weights
        // (unrelated to x, y) it rarely does, and refinement recovers about half of the gap cases.
        print("channel (c) \(grid) bias \(bias.map { "\($0)" } ?? "-"): brute-force minimum attained by solve() in "
              + "\(attained[1])/\(trials / 2) structured and \(attained[0])/\(trials / 2) unstructured problems, by the line "
              + "search alone in \(lineAttained[1])/\(trials / 2) and \(lineAttained[0])/\(trials / 2)")
        #expect(attained[0] >= lineAttained[0] && attained[1] >= lineAttained[1])
    }

    @Test("(d) refine never increases f and ends at a fixed point")
    func refineMonotone() throws {
        var gen = ChannelTestSupport(rng: SeededGenerator(seed: 4400))
        for (i, grid) in ([Self.e2m1, Self.e4m3, Self.int4, Self.f3] as [any NumberGrid]).enumerated() {
            for trial in 0..<25 {
                let p = try gen.problem(m: 1 + trial % 7, n: 1 + (trial / 2) % 6, neurons: 1 + trial % 5, gridX: grid, gridY: grid,
                                        biasGrid: i == 2 ? Self.e2m1 : nil, structured: trial % 2 == 0)
                let starts: [(x: [Double], y: [Double])] = [
                    (p.x.map { grid.round($0) }, p.y.map { (i == 2 ? Self.e2m1 : grid).round($0) }),
                    (p.x.map { _ in grid.round(gen.rng.nextGaussian() * 3) }, p.y.map { _ in Self.e2m1.round(gen.rng.nextGaussian()) }),
                    ([Double](repeating: 0, count: p.m), [Double](repeating: 0, count: p.n)),
                ]
                for start in starts {
                    let before = try p.objective(xHat: start.x, yHat: start.y)
                    let r = try p.refine(xHat: start.x, yHat: start.y)
                    #expect(r.objective <= before, "\(grid) trial \(trial)")
                    #expect(r.objective == (try p.objective(xHat: r.xHat, yHat: r.yHat)))
                    let again = try p.refine(xHat: r.xHat, yHat: r.yHat)
                    #expect(again.objective == r.objective && again.xHat == r.xHat && again.yHat == r.yHat && again.refinementRounds == 1)
                    // solve() never returns something worse than its current point.
                    let s = try p.solve(current: (start.x, start.y))
                    #expect(s.objective <= before)
                }
            }
        }
    }

    @Test("(e) the optimum does not depend on how the channel is scaled: (x, y) → (x/s, s·y)")
    func rescalingInvariance() throws {
        var gen = ChannelTestSupport(rng: SeededGenerator(seed: 5500))
        for grid in [Self.e2m1, Self.e3m2, Self.e4m3, Self.int4, Self.f3, Self.bf16] as [any NumberGrid] {
            let trials = grid.positiveValueCount.map { $0 > 10_000 } ?? false ? 3 : 12
            for trial in 0..<trials {
                let structured = trial % 3 != 0
                let p = try gen.problem(m: 2 + trial % 6, n: 1 + trial % 5, neurons: 1 + trial % 4, gridX: grid, gridY: grid,
                                        structured: structured)
                let reference = try p.solveOverRescaling().objective
                let referenceSolve = try p.solve().objective
                for s in [0.37, 3.1, 1000.0 / 7, 1.0 / 4096, 1e-3 * (1 + gen.rng.nextUnit()), 40 * gen.rng.nextUnit() + 0.01] {
                    let q = try ChannelProblem(x: p.x.map { $0 / s }, y: p.y.map { $0 * s }, neuronCount: p.neuronCount,
                                               outgoing: weights(p, outgoing: true), incoming: weights(p, outgoing: false),
                                               gridX: grid, gridY: grid)
                    let v = try q.solveOverRescaling().objective
                    #expect(ChannelTestSupport.close(v, reference, 1e-12), "\(grid) trial \(trial) s = \(s): \(v) vs \(reference)")
                    // The line search picks the same piece (a power-of-two copy on F_p), so refinement ends at the
                    // same objective too, when f is bounded below (structured weights; random weights on F_p can make
                    // refinement run off towards −∞).
                    let v2 = try q.solve().objective
                    if structured || grid.maxFinite.isFinite {
                        #expect(ChannelTestSupport.close(v2, referenceSolve, 1e-12), "\(grid) trial \(trial) s = \(s): \(v2) vs \(referenceSolve)")
                    }
                }
            }
        }
    }

    /// The weights of `p` back in public form (entries as stored).
    func weights(_ p: ChannelProblem, outgoing: Bool) -> ChannelProblem.Weights {
        let range = outgoing ? p.n..<(p.n + p.m) : 0..<p.n
        let columns = range.map { col in
            (p.columnStart[col]..<p.columnStart[col + 1]).map {
                ChannelProblem.Entry(neuron: Int(p.entryOffset[$0]) / 4, linear: p.entryLinear[$0], quadratic: p.entryQuadratic[$0])
            }
        }
        return ChannelProblem.Weights(columns: columns)
    }

    @Test("coordinates without weights keep their current value; zero parameters and empty sides are handled")
    func zeroWeightsAndDegenerateInput() throws {
        let g = Self.e4m3
        // x_1 and y_0 carry no weight at all.
        let p = try ChannelProblem(x: [0.7, -1.3, 0.2], y: [0.5, 2.0, -0.4], neuronCount: 2,
                                   outgoing: .init(columns: [[.init(neuron: 0, linear: 1, quadratic: 1)], [],
                                                             [.init(neuron: 1, linear: -0.5, quadratic: 2)]]),
                                   incoming: .init(columns: [[], [.init(neuron: 0, linear: 2, quadratic: 1), .init(neuron: 1, linear: 1, quadratic: 1)],
                                                             [.init(neuron: 1, linear: 0.3, quadratic: 0.5)]]),
                                   gridX: g, gridY: g)
        let s = try p.solve(current: (xHat: [1, 5, 0.25], yHat: [-3, 2, -0.5]))
        #expect(s.xHat[1] == 5 && s.yHat[0] == -3)
        let r = try p.refine(xHat: [1, 5, 0.25], yHat: [-3, 2, -0.5])
        #expect(r.xHat[1] == 5 && r.yHat[0] == -3)
        #expect(p.nonZeroCount == 5)
        // All-zero y: f ≡ 0 on the family.
        let z = try ChannelProblem(x: [1, 2], y: [0, 0], a: [[1, 1]], b: [[1, 1]], c: [[1, 1]], d: [[1, 1]], gridX: g, gridY: g)
        #expect(try z.solveOverRescaling().objective == 0)
        #expect(try z.solve().objective <= 0)
        // No neurons, no coordinates.
        let empty = try ChannelProblem(x: [], y: [], neuronCount: 0, outgoing: .init(columns: []), incoming: .init(columns: []),
                                       gridX: g, gridY: g)
        #expect(try empty.solve().objective == 0)
        // Dense and sparse constructions agree.
        let a = [[1.0, 0, -2], [0, 3, 1]], c = [[1.0, 0, 2], [0, 1, 1]], b = [[0.5, 1], [2, 0]], d = [[1.0, 1], [1, 0]]
        let dense = try ChannelProblem(x: [0.3, 1, -2], y: [1.5, -0.2], a: a, b: b, c: c, d: d, gridX: g, gridY: g)
        #expect(dense.nonZeroCount == 7)
        // t = 0: V = 1 − 6, U = 2 + 5, R = 1 + 18, P = 16 + 25; t = 1: V = 6 + 3, U = 8, R = 4 + 9, P = 16.
        let t0: Double = -2.0 * -5.0 * 7.0 + 19.0 * 41.0, t1: Double = -2.0 * 9.0 * 8.0 + 13.0 * 16.0
        #expect(try dense.objective(xHat: [1, 2, 3], yHat: [4, 5]) == t0 + t1)
    }

    @Test("(f) bad input is rejected with a clear error")
    func badInput() throws {
        let g = Self.e4m3
        let one = ChannelProblem.Weights(columns: [[.init(neuron: 0, linear: 1, quadratic: 1)]])
        func make(x: [Double] = [1], y: [Double] = [1], neurons: Int = 1, out: ChannelProblem.Weights? = nil,
                  inc: ChannelProblem.Weights? = nil, gx: any NumberGrid = g, gy: any NumberGrid = g,
                  bias: (any NumberGrid)? = nil) throws -> ChannelProblem {
            try ChannelProblem(x: x, y: y, neuronCount: neurons, outgoing: out ?? one, incoming: inc ?? one,
                               gridX: gx, gridY: gy, biasGrid: bias)
        }
        #expect(throws: ChannelProblemError.notFinite("x[0] = nan")) { try make(x: [.nan]) }
        #expect(throws: ChannelProblemError.notFinite("y[0] = inf")) { try make(y: [.infinity]) }
        #expect(throws: ChannelProblemError.self) { try make(x: [1, 2]) }
        #expect(throws: ChannelProblemError.self) {
            try make(out: .init(columns: [[.init(neuron: 0, linear: .nan, quadratic: 1)]]))
        }
        #expect(throws: ChannelProblemError.negativeWeight("C[0, 0] = -1.0 < 0")) {
            try make(out: .init(columns: [[.init(neuron: 0, linear: 1, quadratic: -1)]]))
        }
        #expect(throws: ChannelProblemError.self) {
            try make(inc: .init(columns: [[.init(neuron: 0, linear: 1, quadratic: -0.5)]]))
        }
        #expect(throws: ChannelProblemError.self) { try make(inc: .init(columns: [[.init(neuron: 3, linear: 1, quadratic: 1)]])) }
        #expect(throws: ChannelProblemError.self) { try make(y: [], inc: .init(columns: []), bias: g) }
        #expect(throws: ChannelProblemError.self) {
            try ChannelProblem.Weights(columnStart: [0, 2], neuron: [0], linear: [1], quadratic: [1])
        }
        #expect(throws: ChannelProblemError.self) {
            try ChannelProblem.Weights(columnStart: [0, 1], neuron: [0], linear: [1, 2], quadratic: [1])
        }
        #expect(throws: ChannelProblemError.self) {
            try ChannelProblem(x: [1], y: [1], a: [[1]], b: [[1]], c: [[1], [1]], d: [[1]], gridX: g, gridY: g)
        }
        let p = try make()
        #expect(throws: ChannelProblemError.self) { try p.objective(xHat: [1, 2], yHat: [1]) }
        #expect(throws: ChannelProblemError.self) { try p.solve(current: (xHat: [.nan], yHat: [1])) }
        #expect(throws: ChannelProblemError.self) { try p.refine(xHat: [1], yHat: []) }
        // An unbounded grid next to a bounded one, and an over-budget sweep.
        let mixed = try make(gx: Self.f3, gy: g)
        #expect(throws: ChannelProblemError.self) { try mixed.solveOverRescaling() }
        let big = try make(gx: FormatCatalog.preset(named: "fp32")!, gy: FormatCatalog.preset(named: "fp32")!)
        #expect(throws: ChannelProblemError.self) { try big.solveOverRescaling(options: .init(maxEvents: 1 << 16)) }
        let wide = try make(gx: try FloatFormat.idealized(precision: 30), gy: try FloatFormat.idealized(precision: 30))
        #expect(throws: ChannelProblemError.self) { try wide.solveOverRescaling(options: .init(maxEvents: 1 << 16)) }
        print("channel (f) sample message: \(ChannelProblemError.negativeWeight("C[0, 0] = -1.0 < 0"))")
    }

    @Test("the event sort is stable and exact, also for clustered and tied λ")
    func eventSort() {
        var rng = SeededGenerator(seed: 7700)
        for trial in 0..<6 {
            let count = [10, 1000, 5000, 20000, 3, 40000][trial]
            var events: [ChannelEvent] = []
            for i in 0..<count {
                // Clusters of nearly equal λ (runs longer than 32 after the radix passes), exact ties, wide spread.
                let lambda: Double
                switch trial % 3 {
                case 0: lambda = Double(sign: .plus, exponent: Int(rng.next() % 60) - 30, significand: 1 + rng.nextUnit())
                case 1: lambda = 1 + Double(rng.next() % 50) * 0x1p-40 + (trial == 4 ? 0 : Double(rng.next() % 3) * 0x1p-52)
                default: lambda = rng.nextUnit() < 0.5 ? 1e-3 * (1 + Double(rng.next() % 4) * 0x1p-50) : 1e3 * (1 + rng.nextUnit())
                }
                events.append(ChannelEvent(lambda: lambda, value: Double(i), column: Int32(i % 7)))
            }
            var sorted = events
            ChannelProblem.sortByLambda(&sorted)
            let reference = events.enumerated().sorted { a, b in
                a.element.lambda < b.element.lambda || (a.element.lambda == b.element.lambda && a.offset < b.offset)
            }.map(\.element)
            #expect(sorted.map(\.lambda) == reference.map(\.lambda) && sorted.map(\.value) == reference.map(\.value),
                    "trial \(trial)")
        }
    }

    @Test("the two-thread split and the regular-window split do not change the answer")
    func splits() throws {
        var gen = ChannelTestSupport(rng: SeededGenerator(seed: 8800))
        // Enough events for two threads (≥ 2^14).
        let big = try gen.problem(m: 150, n: 150, neurons: 8, gridX: Self.e4m3, gridY: Self.e4m3, density: 0.5, structured: true)
        let one = try big.solveOverRescaling(options: .init(threads: 1)), two = try big.solveOverRescaling(options: .init(threads: 2))
        #expect(one.objective == two.objective && one.xHat == two.xHat && one.yHat == two.yHat && one.lambda == two.lambda)
        #expect(one.pieces > 1 << 13)
        // Narrow magnitudes on e4m3: a regular window wide enough to skip binades.
        var checked = 0
        for trial in 0..<10 {
            let p = try gen.problem(m: 3, n: 3, neurons: 2, gridX: Self.e4m3, gridY: Self.e4m3, density: 0.8, spread: 0.3,
                                    structured: trial % 2 == 0)
            let active = (0..<(p.n + p.m)).map { p.parameter($0) != 0 && p.columnStart[$0 + 1] > p.columnStart[$0] }
            guard active[..<p.n].contains(true) && active[p.n...].contains(true) else { continue }
            #expect(try p.plan(active: active, options: .init()).count == 2, "trial \(trial)")
            let ls = try p.solveOverRescaling(), bf = try ChannelTestSupport.bruteForceFamily(p)
            #expect(ChannelTestSupport.close(ls.objective, bf.value, 1e-12), "trial \(trial): \(ls.objective) vs \(bf.value)")
            checked += 1
        }
        #expect(checked >= 5)
    }

    @Test("size of a convolution channel: m = n = 1000, N = 64, 64 neurons per coordinate, e4m3")
    func largeChannel() throws {
        var rng = SeededGenerator(seed: 6600)
        let m = 1000, n = 1000, neurons = 64, g = Self.e4m3
        // Path-metric-shaped weights: C, D in [0.5, 1.5], A = x⊙G, B = y⊙F with G ≈ C, F ≈ D (10% noise).
        func weights(_ v: [Double]) -> ChannelProblem.Weights {
            var start = [0], nrn: [Int] = [], lin: [Double] = [], quad: [Double] = []
            for j in 0..<v.count {
                for t in 0..<neurons {
                    let q = 0.5 + rng.nextUnit()
                    nrn.append(t); lin.append(v[j] * q * (1 + 0.1 * rng.nextGaussian())); quad.append(q)
                }
                start.append(nrn.count)
            }
            return try! ChannelProblem.Weights(columnStart: start, neuron: nrn, linear: lin, quadratic: quad)
        }
        let x = (0..<m).map { _ in rng.nextGaussian() * 0.05 }, y = (0..<n).map { _ in rng.nextGaussian() * 0.02 }
        let p = try ChannelProblem(x: x, y: y, neuronCount: neurons, outgoing: weights(x), incoming: weights(y), gridX: g, gridY: g)
        let clock = ContinuousClock()
        var line: ChannelProblem.Solution?
        let lineTime = try clock.measure { line = try p.solveOverRescaling() }
        var full: ChannelProblem.Solution?
        let solveTime = try clock.measure { full = try p.solve() }
        let rtn = try p.objective(xHat: x.map { g.round($0) }, yHat: y.map { g.round($0) })
        print("channel timing (m = n = 1000, N = 64, nnz = \(p.nonZeroCount), e4m3): line search \(lineTime) "
              + "(\(line!.pieces) pieces), solve \(solveTime) (\(full!.refinementRounds) refinement rounds); "
              + "f: RTN \(rtn), line search \(line!.objective), solve \(full!.objective)")
        #expect(line!.objective <= rtn)
        #expect(full!.objective <= line!.objective)
    }
}
