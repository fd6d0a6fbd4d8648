import Synchronization
import Testing
@testable import ScaleQuant

/// The bit patterns of `values` (so that comparisons tell −0 from +0 and see every last bit).
private func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

/// The bit patterns of every weight and bias of a graph, node by node.
private func bits(_ graph: GraphNetwork) -> [UInt64] {
    graph.nodes.flatMap { bits($0.weight) + bits($0.bias) }
}

/// `body()` with the library-wide thread count set to each of `counts` in turn (restored afterwards).
///
/// Only this suite assigns ``Parallelism/threads``, and it is serialized, so the count holds while `body` runs;
/// other suites running meanwhile merely see a different count, which must not change their results either.
private func atThreadCounts<T>(_ counts: [Int] = [1, 2, 3], _ body: () throws -> T) rethrows -> [T] {
    let saved = Parallelism.threads
    defer { Parallelism.threads = saved }
    return try counts.map { n in
        Parallelism.threads = n
        return try body()
    }
}

@Suite("Parallel loops: results do not depend on the thread count", .serialized)
struct ParallelTests {
    @Test("the thread count: a default of at least one, set and read back")
    func threadCount() {
        #expect(Parallelism.activeCores >= 1 && Parallelism.defaultThreads >= 1)
        let seen = atThreadCounts([1, 5, 2]) { Parallelism.threads }
        #expect(seen == [1, 5, 2])
        #expect(Parallelism.resolve(nil) == Parallelism.threads)
        #expect(Parallelism.resolve(4) == 4 && Parallelism.resolve(0) == 1)
    }

    @Test("parallelFor visits every index exactly once (static and dynamic; counts 0, 1, 2, 3, 1000; 1–8 threads)",
          arguments: [ParallelSchedule.static, .dynamic])
    func everyIndexOnce(_ schedule: ParallelSchedule) {
        for count in [0, 1, 2, 3, 1000] {
            for threads in [1, 2, 3, 8] {
                let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
                hits.initialize(repeating: 0)
                defer { hits.deallocate() }
                let box = UncheckedBox(hits)
                parallelFor(count, schedule: schedule, threads: threads) { i in box.value[i] += 1 }
                #expect(hits.prefix(count).allSatisfy { $0 == 1 }, "count \(count), \(threads) threads, \(schedule)")
                // The library-wide count when none is given.
                hits.update(repeating: 0)
                _ = atThreadCounts([threads]) {
                    parallelFor(count, schedule: schedule) { i in box.value[i] += 1 }
                }
                #expect(hits.prefix(count).allSatisfy { $0 == 1 },
                        "count \(count), library \(threads) threads, \(schedule)")
            }
        }
    }

    @Test("one thread runs the indices in order")
    func oneThreadInOrder() {
        var order: [Int] = []
        parallelFor(100, schedule: .dynamic, threads: 1) { order.append($0) }
        #expect(order == Array(0..<100))
        order = []
        _ = atThreadCounts([1]) { parallelFor(100, schedule: .static) { order.append($0) } }
        #expect(order == Array(0..<100))
    }

    @Test("parallelMap and parallelPair: the same bits for every schedule and thread count")
    func mapAndPair() {
        // A value whose bits depend on every step of a sequential computation per index.
        func f(_ i: Int) -> Double {
            var s = 0.0
            for k in 0...(i % 37) { s += 1 / Double(i + k + 1) }
            return s * Double(i) - 0.1
        }
        for count in [0, 1, 2, 1000] {
            let reference = bits((0..<count).map(f))
            for schedule in [ParallelSchedule.static, .dynamic] {
                for threads in [1, 2, 3] {
                    #expect(bits(parallelMap(count, schedule: schedule, threads: threads, f)) == reference)
                }
                let library = atThreadCounts { bits(parallelMap(count, schedule: schedule, f)) }
                #expect(library.allSatisfy { $0 == reference }, "count \(count), \(schedule)")
            }
        }
        for threads in [1, 2, 3] {
            let (a, b) = parallelPair({ f(10) }, { [f(11), f(12)] }, threads: threads)
            #expect(a.bitPattern == f(10).bitPattern && bits(b) == bits([f(11), f(12)]))
        }
    }

    @Test("a rank-one solve: the same bits on 1, 2 and 3 threads (F_p, e4m3, bf16; large enough to split)")
    func rankOne() throws {
        var rng = SeededGenerator(seed: 0xB17)
        let grids: [(String, any NumberGrid, Int)] = [
            ("F_8", try FloatFormat.idealized(precision: 8), 1024),   // one binade, > 40,000 states: split in two
            ("e4m3", FormatCatalog.preset(named: "e4m3")!, 300),       // several binades, tables built in parallel
            ("bf16", FormatCatalog.preset(named: "bf16")!, 64),
        ]
        for (name, grid, m) in grids {
            let x = rng.gaussians(m), y = rng.gaussians(m + 7)
            let runs = try atThreadCounts {
                let r = try RankOne.quantize(x: x, y: y, grid: grid)
                return bits(r.xHat) + bits(r.yHat) + bits([r.lambda, r.mu, r.relativeError]) + [UInt64(r.pieces)]
            }
            #expect(runs[1] == runs[0] && runs[2] == runs[0], "\(name)")
            let weighted = try atThreadCounts {
                let r = try RankOne.solveWeighted(a: x, c: x.map { $0 * $0 + 0.5 }, b: y, d: y.map { abs($0) + 0.25 },
                                                  gridX: grid, gridY: grid)
                return bits(r.xHat) + bits(r.yHat) + bits([r.lambda, r.mu, r.objective])
            }
            #expect(weighted[1] == weighted[0] && weighted[2] == weighted[0], "\(name) weighted")
        }
    }

    @Test("butterfly quantization (l2r, pairwise) and its exact blockwise error: the same bits on 1, 2 and 3 threads")
    func butterfly() throws {
        let chain = try ButterflyChain.random(256, seed: 77)
        for grid in [FormatCatalog.preset(named: "e4m3")!, try FloatFormat.idealized(precision: 4)] {
            for method in [ButterflyMethod.leftToRight, .pairwise] {
                let runs = try atThreadCounts {
                    let q = try ButterflyQuantizer.quantize(chain, grid: grid, method: method)
                    return q.factors.flatMap { bits($0.values) }
                        + [ButterflyMetrics.relativeError(chain, q).bitPattern]
                }
                #expect(runs[1] == runs[0] && runs[2] == runs[0], "\(method) on \(grid)")
                // An explicit count: the same again.
                let q = try ButterflyQuantizer.quantize(chain, grid: grid, method: method, threads: 3)
                let error = ButterflyMetrics.relativeError(chain, q, threads: 2)
                #expect(q.factors.flatMap { bits($0.values) } + [error.bitPattern] == runs[0])
            }
        }
        // The exact error of a larger chain: 16 blocks of 64 columns, summed in block order.
        let large = try ButterflyChain.random(1024, seed: 78)
        let rounded = ButterflyQuantizer.roundToNearest(large, grid: try FloatFormat.idealized(precision: 3))
        let errors = atThreadCounts { ButterflyMetrics.relativeError(large, rounded).bitPattern }
        #expect(errors[1] == errors[0] && errors[2] == errors[0])
    }

    @Test("perceptron coordinate descent (e4m3) and l2r, and the dense and graph forward passes: the same bits")
    func perceptron() throws {
        let net = GraphNetwork.randomPerceptron(widths: [24, 48, 32, 16, 6], seed: 2024, biasScale: 0.3)
        let e4m3 = FormatCatalog.preset(named: "e4m3")!
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = 3
        for method in [QuantizationMethod.coordinateDescent, .leftToRight] {
            let runs = try atThreadCounts {
                let r = try GraphQuantizer.quantize(net, method: method, grids: .uniform(weight: e4m3), options: options)
                return bits(r.network) + bits(r.history) + [r.l2PathMetric.bitPattern, UInt64(r.sweeps)]
            }
            #expect(runs[1] == runs[0] && runs[2] == runs[0], "\(method)")
        }
        // Enough work (batch × weights > 2^18) for the dense forward pass to run in blocks.
        let chain = try #require(DenseChain(net))
        var rng = SeededGenerator(seed: 5)
        let batch = 300, input = rng.gaussians(batch * net.inputSize)
        let dense = atThreadCounts { bits(chain.forward(input, batch: batch)) }
        #expect(dense[1] == dense[0] && dense[2] == dense[0])
        let graph = try atThreadCounts { bits(try net.forward(input, batch: batch)) }
        #expect(graph[1] == graph[0] && graph[2] == graph[0])
    }

    @Test("graph coordinate descent on seeded small graphs (a residual net: tied channels), and a graph forward pass")
    func graph() throws {
        let e3m2 = try FormatCatalog.grid(named: "e3m2")
        let cases: [(String, GraphNetwork, [GraphGridSpec])] = [
            ("tinyResNet", try tinyResNet(seed: 42), [.uniform(weight: e3m2)]),
            ("random", try randomGraph(seed: 502), [.uniform(weight: e3m2), .integerPerNode(bits: 4)]),
        ]
        for (name, g, specs) in cases {
            for spec in specs {
                var options = GraphCoordinateDescentOptions()
                options.maxSweeps = 3
                let runs = try atThreadCounts {
                    let r = try GraphQuantizer.quantize(g, method: .coordinateDescent, grids: spec, options: options)
                    return bits(r.network) + bits(r.history) + [r.l2PathMetric.bitPattern, UInt64(r.sweeps)]
                }
                #expect(runs[1] == runs[0] && runs[2] == runs[0], "\(name) \(spec)")
            }
            var rng = SeededGenerator(seed: 6)
            let batch = 20, input = rng.gaussians(batch * g.inputSize)
            let outputs = try atThreadCounts { bits(try g.forward(input, batch: batch)) }
            #expect(outputs[1] == outputs[0] && outputs[2] == outputs[0], "\(name) forward")
        }
    }

    @Test("a channel problem large enough for the split sweep: the same bits with the library's 1, 2 or 3 threads")
    func channelSplit() throws {
        var gen = ChannelTestSupport(rng: SeededGenerator(seed: 8801))
        let e4m3 = FormatCatalog.preset(named: "e4m3")!
        let big = try gen.problem(m: 150, n: 150, neurons: 8, gridX: e4m3, gridY: e4m3, density: 0.5, structured: true)
        let runs = try atThreadCounts {
            let s = try big.solveOverRescaling()
            return bits(s.xHat) + bits(s.yHat) + bits([s.objective, s.lambda ?? -1]) + [UInt64(s.pieces)]
        }
        #expect(runs[1] == runs[0] && runs[2] == runs[0])
        let explicit = try big.solveOverRescaling(options: .init(threads: 1))
        let values = explicit.xHat.count + explicit.yHat.count
        #expect(bits(explicit.xHat) + bits(explicit.yHat) == Array(runs[0].prefix(values)))
        #expect(explicit.pieces > 1 << 13)
    }
}
