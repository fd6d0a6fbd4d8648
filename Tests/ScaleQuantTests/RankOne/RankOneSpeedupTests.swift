import Testing
@testable import ScaleQuant

/// The fast paths of the rank-one sweep must not change any answer: breakpoints from the slot order, lower-bound
/// pruning of binades (and of states inside a binade), skipping the F_p attempt, lazy y tables, and the
/// sequential mode used by network layers.
@Suite("Rank-one: fast paths give the same answers")
struct RankOneSpeedupTests {
    static let floatGrids: [FloatFormat] = [
        FormatCatalog.preset(named: "e4m3")!, FormatCatalog.preset(named: "e5m2")!,
        FormatCatalog.preset(named: "e2m1")!, FormatCatalog.preset(named: "e3m2")!,
        FormatCatalog.preset(named: "e2m3")!, FormatCatalog.preset(named: "e4m3fnuz")!,
        FormatCatalog.preset(named: "bf16")!, FormatCatalog.preset(named: "fp16")!,
        try! FloatFormat(name: "e3m2-nosub", exponentBits: 3, mantissaBits: 2, specials: .none, subnormals: false),
        try! FloatFormat.idealized(precision: 3), try! FloatFormat.idealized(precision: 5),
    ]
    static let grids: [any NumberGrid] = floatGrids + [try! IntegerGrid(bits: 4), try! IntegerGrid(bits: 8, step: 0.1)]

    /// A vector whose magnitudes spread over ±`range` binades, with zeros, duplicates, opposite pairs and exact
    /// grid values (ties and exact answers).
    static func vector(_ rng: inout SeededGenerator, _ count: Int, range: Double, grid: any NumberGrid) -> [Double] {
        var v = (0..<count).map { _ -> Double in
            let e = Int((range * (2 * rng.nextUnit() - 1)).rounded())
            return rng.nextGaussian() * Double(sign: .plus, exponent: e, significand: 1)
        }
        for i in 1..<max(count, 1) {
            switch rng.next() % 12 {
            case 0: v[i] = 0
            case 1: v[i] = v[i - 1]
            case 2: v[i] = -v[i - 1]
            case 3: v[i] = grid.round(v[i])
            default: break
            }
        }
        if v.allSatisfy({ $0 == 0 }) { v[0] = 1.5 }
        return v
    }

    static func weights(_ rng: inout SeededGenerator, _ count: Int, spread: Double) -> [Double] {
        (0..<count).map { _ in
            (0.1 + 3 * rng.nextUnit()) * Double(sign: .plus, exponent: Int((spread * (2 * rng.nextUnit() - 1)).rounded()),
                                                significand: 1)
        }
    }

    static func same(_ x: RankOne.WeightedResult, _ y: RankOne.WeightedResult) -> Bool {
        x.xHat.map(\.bitPattern) == y.xHat.map(\.bitPattern) && x.yHat.map(\.bitPattern) == y.yHat.map(\.bitPattern)
            && x.lambda.bitPattern == y.lambda.bitPattern && x.mu.bitPattern == y.mu.bitPattern
            && x.objective.bitPattern == y.objective.bitPattern
    }

    @Test("pruning, the state filter and the sequential mode never change the answer (bit for bit)",
          arguments: 0..<grids.count)
    func pruningIsExact(gridIndex: Int) throws {
        let grid = Self.grids[gridIndex]
        let wide = (grid as? FloatFormat).map { $0.precision >= 8 } ?? false
        var rng = SeededGenerator(seed: 5000 + UInt64(gridIndex))
        for trial in 0..<(wide ? 16 : 40) {
            let big = !wide && trial % 10 == 9
            let m = big ? 60 + Int(rng.next() % 60) : 1 + Int(rng.next() % (wide ? 6 : 24))
            let n = big ? 60 + Int(rng.next() % 60) : 1 + Int(rng.next() % (wide ? 6 : 24))
            // Up to 200 binades inside one vector (extreme dynamic range), and weights spread over 2^±10.
            let range = [0.0, 3, 8, 20, wide ? 30 : 100][trial % 5]
            let a = Self.vector(&rng, m, range: range, grid: grid), b = Self.vector(&rng, n, range: range / 2, grid: grid)
            let c = Self.weights(&rng, m, spread: trial % 3 == 0 ? 0 : 10)
            let d = Self.weights(&rng, n, spread: trial % 3 == 0 ? 0 : 10)
            for keepY in [false, true] {
                let reference = try RankOne.solveWeighted(a: a, c: c, b: b, d: d, gridX: grid, gridY: grid, keepY: keepY,
                                                          parallel: true, prune: false)
                for (parallel, prune) in [(false, true), (true, true), (false, false)] {
                    let r = try RankOne.solveWeighted(a: a, c: c, b: b, d: d, gridX: grid, gridY: grid, keepY: keepY,
                                                      parallel: parallel, prune: prune)
                    #expect(Self.same(r, reference),
                            "\(grid) trial \(trial) keepY \(keepY) parallel \(parallel) prune \(prune): \(r.objective) vs \(reference.objective)")
                }
            }
        }
    }

    @Test("breakpoints read from the slot order equal the generated and sorted ones", arguments: 0..<floatGrids.count)
    func slotOrderEvents(gridIndex: Int) throws {
        let grid = Self.floatGrids[gridIndex]
        let lattice = try #require(BoundaryLattice.of(grid))
        var rng = SeededGenerator(seed: 6000 + UInt64(gridIndex))
        var compared = 0
        for trial in 0..<6 {
            let m = 1 + Int(rng.next() % 30)
            let rho = Self.vector(&rng, m, range: [0.0, 4, 12, 25][trial % 4], grid: grid).map { abs($0) }
                .filter { $0 > 0 }
            guard !rho.isEmpty, let order = SlotOrder(lattice: lattice, magnitudes: rho) else { continue }
            let sweep = ScaleSweep(grid: grid, rho: rho, weight: [Double](repeating: 1, count: rho.count))
            let hi = Int(rho.max()!.exponent), lo = Int(rho.min()!.exponent)
            let first = grid.isIdealized ? -hi - 2 : Int((grid.smallestPositive / 2).exponent) - hi - 2
            let last = grid.isIdealized ? -lo + 2 : Int(grid.maxFinite.exponent) - lo + 2
            for k in first...last {
                let start = sweep.initialState(binade: k).g
                let generic = ScaleSweep.sortedEvents(grid, rho, binade: k, start: start)
                let fast = order.events(binade: k)
                #expect(fast.count == generic.count, "\(grid) binade \(k)")
                guard fast.count == generic.count else { continue }
                var same = true
                for t in 0..<fast.count where fast.key[t] != generic.key[t] || fast.index[t] != generic.index[t]
                    || fast.value[t] != generic.value[t] { same = false }
                #expect(same, "\(grid) binade \(k): breakpoints differ")
                // The plan's merged walk gives the same sequence.
                var t = 0, walk = true
                order.plan(binade: k, scratch: PlanScratch()).forEachEvent { key, index, value in
                    if t >= generic.count || key != generic.key[t] || index != generic.index[t] || value != generic.value[t] {
                        walk = false
                    }
                    t += 1
                }
                #expect(walk && t == generic.count, "\(grid) binade \(k): merged walk differs")
                if generic.count > 0 { compared += 1 }
            }
        }
        // Trials are skipped only when no slot order can be built; most must compare non-empty breakpoint lists.
        #expect(compared >= 10, "\(grid): only \(compared) binades with breakpoints compared")
    }

    @Test("the fast ties-down rounding equals the generic one", arguments: 0..<floatGrids.count)
    func fastRounding(gridIndex: Int) throws {
        let grid = Self.floatGrids[gridIndex]
        let lattice = try #require(BoundaryLattice.of(grid))
        var rng = SeededGenerator(seed: 7000 + UInt64(gridIndex))
        var zs: [Double] = [0, grid.smallestPositive / 2, grid.smallestPositive, grid.smallestNormal,
                            grid.smallestNormal / 2, grid.maxFinite, grid.nextDown(grid.maxFinite)]
        if grid.maxFinite.isFinite { zs.append(grid.nextDown(grid.maxFinite) / 2 + grid.maxFinite / 2) }
        for _ in 0..<3000 {
            let e = Int(rng.next() % 40) - 20 + (grid.isIdealized ? 0 : Int(grid.smallestNormal.exponent) + 4)
            zs.append(abs(rng.nextGaussian()) * Double(sign: .plus, exponent: e, significand: 1))
        }
        // Exact midpoints (ties) between consecutive values.
        grid.forEachBoundary(from: grid.isIdealized ? 1 : 0, below: grid.isIdealized ? 4 : min(grid.maxFinite, 64)) { b, _ in
            zs.append(b)
        }
        for z in zs where z.isFinite {
            #expect(lattice.roundTiesDown(z, grid).bitPattern == roundTiesDown(grid, z).bitPattern, "\(grid) z=\(z)")
        }
    }

    @Test("window and binade lower bounds never exceed what the sweep finds", arguments: 0..<grids.count)
    func boundsAreLower(gridIndex: Int) throws {
        let grid = Self.grids[gridIndex]
        let wide = (grid as? FloatFormat).map { $0.precision >= 8 } ?? false
        var rng = SeededGenerator(seed: 8000 + UInt64(gridIndex))
        var windowChecks = 0, binadeChecks = 0
        for trial in 0..<(wide ? 4 : 12) {
            let m = 1 + Int(rng.next() % 20), n = 1 + Int(rng.next() % 20)
            let range = [0.0, 4, 10, 30][trial % 4]
            let rho = Self.vector(&rng, m, range: range, grid: grid).map { abs($0) }.filter { $0 > 0 }
            let sigma = Self.vector(&rng, n, range: range, grid: grid).map { abs($0) }.filter { $0 > 0 }
            guard !rho.isEmpty, !sigma.isEmpty else { continue }
            let c = Self.weights(&rng, rho.count, spread: 4), d = Self.weights(&rng, sigma.count, spread: 4)
            // Window bound of the x side against states sampled inside windows.
            let wb = WindowBound(rho: rho, weight: c, grid: grid)
            let top = rho.max()!
            for _ in 0..<20 {
                let la = Double(sign: .plus, exponent: Int(rng.next() % 40) - 20, significand: 1) / top * (1 + rng.nextUnit())
                let lb = la * (1 + rng.nextUnit() * (rng.next() % 2 == 0 ? 0.1 : 1))
                let bound = wb.distance(la, lb)
                let muRange = wb.muRange(la, lb)
                for s in 0...10 {
                    let lambda = la + (lb - la) * Double(s) / 10
                    let xh = rho.map { grid.round(lambda * $0) }
                    var sx = 0.0, nx = 0.0, ex = 0.0
                    for k in 0..<rho.count { sx += c[k] * rho[k] * xh[k]; nx += c[k] * xh[k] * xh[k]; ex += c[k] * rho[k] * rho[k] }
                    guard nx > 0 else { continue }
                    var dist = 0.0
                    for k in 0..<rho.count { let r = rho[k] - sx / nx * xh[k]; dist += c[k] * r * r }
                    #expect(bound <= dist + 1e-12 * ex, "\(grid): window bound \(bound) > \(dist)")
                    windowChecks += 1
                    if let mr = muRange {
                        #expect(sx / nx >= mr.lo && sx / nx <= mr.hi, "\(grid): μ = \(sx / nx) outside \(mr)")
                    } else {
                        Issue.record("\(grid): muRange says no state, but x̂ ≠ 0 at λ = \(lambda)")
                    }
                }
            }
            // Binade bounds against the unpruned sweep of each binade.
            binadeChecks += Self.checkBinadeBounds(grid, rho: rho, c: c, sigma: sigma, d: d)
        }
        // λ samples where everything rounds to 0, and binades without a state, are skipped: most must remain.
        #expect(windowChecks >= 100, "\(grid): only \(windowChecks) window bounds checked")
        #expect(binadeChecks >= 4, "\(grid): only \(binadeChecks) binade bounds checked")
    }

    /// Checks each visited binade's lower bounds against its unpruned sweep; returns how many bounds were checked.
    static func checkBinadeBounds<G: NumberGrid>(_ grid: G, rho: [Double], c: [Double], sigma: [Double], d: [Double]) -> Int {
        var checked = 0
        let sweep = ScaleSweep(grid: grid, rho: rho, weight: c, order: BoundaryLattice.of(grid).flatMap {
            SlotOrder(lattice: $0, magnitudes: rho) })
        let response = GridResponse(grid: grid, sigma: sigma, weight: d)
        let binades = sweep.binadesToVisit(response: response)
        for subdivisions in [1, 8] {
            let (bounds, scale) = sweep.lowerBounds(binades, response: response, subdivisions: subdivisions)
            for (i, k) in binades.enumerated() {
                let best = sweep.sweepAll(sweep.prepare(binade: k), response: response, split: false, parallel: false)
                if best.binade != nil {
                    #expect(bounds[i] <= best.objective + 1e-12 * scale,
                            "\(grid) binade \(k): bound \(bounds[i]) above the binade's best \(best.objective)")
                    checked += 1
                }
            }
        }
        return checked
    }

    @Test("the F_p attempt is skipped only when its answer cannot fit the formats")
    func shortcutSkip() throws {
        var rng = SeededGenerator(seed: 9100)
        var skipped = 0
        for trial in 0..<120 {
            let fx = Self.floatGrids[trial % 6], fy = Self.floatGrids[(trial / 6) % 6]
            let m = 1 + Int(rng.next() % 12), n = 1 + Int(rng.next() % 12)
            let range = [0.0, 3, 8, 16][trial % 4]
            let scale = Double(sign: .plus, exponent: Int(rng.next() % 40) - 20, significand: 1)
            let a = Self.vector(&rng, m, range: range, grid: fx).map { $0 * scale }
            let b = Self.vector(&rng, n, range: range, grid: fy)
            let c = Self.weights(&rng, m, spread: 2), d = Self.weights(&rng, n, spread: 2)
            for keepY in [false, true] where RankOne.cannotFit(fx, fy, a: a, c: c, b: b, d: d, keepY: keepY) {
                skipped += 1
                let ix = try FloatFormat.idealized(precision: fx.precision)
                let iy = try FloatFormat.idealized(precision: fy.precision)
                let r = try RankOne.solve(ix, iy, a: a, c: c, b: b, d: d, keepY: keepY)
                #expect(RankOne.representableShift(r.xHat, in: fx, r.yHat, in: keepY ? nil : fy) == nil,
                        "\(fx)/\(fy) keepY \(keepY): skipped an F_p answer that fits")
            }
        }
        #expect(skipped > 10)
    }

    /// The F_p shortcut (`RankOne+Shortcut.swift`) answers bounded float formats through F_p when a power-of-two
    /// shift of the F_p optimum fits the format: the answer must be an optimum of the bounded problem itself, as the
    /// full bounded sweep finds it (which may return another member of a near-tie: the expanded objective resolves
    /// about 1e-16 of ‖x‖²‖y‖²).
    @Test("the F_p shortcut returns the bounded sweep's optimum", arguments: ["e4m3", "bf16", "e2m1", "e5m2"])
    func shortcutIsTheBoundedOptimum(format: String) throws {
        let grid = try #require(FormatCatalog.preset(named: format))
        var rng = SeededGenerator(seed: 42)
        var hits = 0
        for trial in 0..<60 {
            let m = 1 + trial % 4, n = 1 + (trial / 4) % 3
            // Mostly moderate magnitudes, some spanning 30 binades (where the shortcut usually does not fit).
            let spread = trial % 5 == 0 ? 30.0 : 2.0
            func draw() -> Double {
                rng.nextGaussian() * Double(sign: .plus, exponent: Int((spread * (rng.nextUnit() - 0.5)).rounded()),
                                            significand: 1)
            }
            let x = (0..<m).map { _ in draw() }, y = (0..<n).map { _ in draw() }
            let ones = { (k: Int) in [Double](repeating: 1, count: k) }
            for keepY in [false, true] {
                let fast = try RankOne.solveWeighted(a: x, c: ones(m), b: y, d: ones(n), gridX: grid, gridY: grid,
                                                     keepY: keepY)
                let full = try RankOne.solve(grid, grid, a: x, c: ones(m), b: y, d: ones(n), keepY: keepY)
                #expect(fast.xHat.allSatisfy { grid.round($0) == $0 })
                #expect(keepY || fast.yHat.allSatisfy { grid.round($0) == $0 })
                let scale = x.reduce(0) { $0 + $1 * $1 } * y.reduce(0) { $0 + $1 * $1 }
                #expect(abs(fast.objective - full.objective) <= 1e-14 * scale,
                        "\(format) trial \(trial) keepY \(keepY): \(fast.objective) vs \(full.objective)")
                if try RankOne.solveThroughIdealized(grid, grid, a: x, c: ones(m), b: y, d: ones(n), keepY: keepY) != nil {
                    hits += 1
                }
            }
        }
        #expect(hits >= 30, "\(format): the shortcut applied \(hits) times out of 120")
    }

    @Test("the dynamic neuron schedule visits every index once")
    func schedule() {
        for count in [0, 1, 2, 3, 17, 1000] {
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
            hits.initialize(repeating: 0)
            defer { hits.deallocate() }
            let box = UncheckedBox(hits)
            parallelFor(count, schedule: .dynamic) { i in box.value[i] += 1 }
            #expect(hits.prefix(count).allSatisfy { $0 == 1 })
        }
    }
}
