import Testing
@testable import ScaleQuant

/// Rescaling immunity of the quantizers, on every kind of network in one place (the perceptron, graph-CLE and
/// graph-cd copies of this test were merged here): a method that depends only on the rescaling orbit gives the
/// same ℓ² path-metric (1e-12 relative) on randomly rescaled copies of its input; RTN does not.
@Suite("Quantizers: rescaling immunity on perceptrons, CNNs and residual graphs")
struct RescalingImmunityTests {
    /// One case: a network, a method, a grid spec, and cd's sweep cap (graphs: a few sweeps keep the test short).
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var method: QuantizationMethod
        var spec: String
        var maxSweeps = 50
        var testDescription: String { "\(name) \(method.rawValue) \(spec)" }
    }

    static func network(_ name: String) throws -> GraphNetwork {
        switch name {
        case "mlp-4-7-3": return GraphNetwork.randomPerceptron(widths: [4, 7, 3], seed: 7, biasScale: 0.3)
        case "mlp-4-6-5-3": return GraphNetwork.randomPerceptron(widths: [4, 6, 5, 3], seed: 7, biasScale: 0.3)
        case "mlp-3-5-4-4-2": return GraphNetwork.randomPerceptron(widths: [3, 5, 4, 4, 2], seed: 7, biasScale: 0.3)
        case "tinyCNN": return try tinyCNN(seed: 61)
        case "tinyResNet": return try tinyResNet(seed: 62)
        case "tinyResNet5": return try tinyResNet(seed: 5)
        case "random": return try randomGraph(seed: 63)
        case "resnet": return try GraphRescalingTests.bundled("resnet")
        default: fatalError("unknown test network \(name)")
        }
    }

    /// Grid specs by name: `int4` is integer with per-node steps (biases int4 too).
    static func grids(_ spec: String) throws -> GraphGridSpec {
        spec == "int4" ? .integerPerNode(bits: 4, biasBits: 4) : .uniform(weight: try FormatCatalog.grid(named: spec))
    }

    static let cases: [Case] = {
        var out: [Case] = []
        for (name, method) in [("mlp-4-7-3", QuantizationMethod.exact), ("mlp-4-6-5-3", .leftToRight),
                               ("mlp-4-6-5-3", .coordinateDescent), ("mlp-3-5-4-4-2", .coordinateDescent)] {
            for spec in ["e2m1", "int4", "e4m3"] { out.append(Case(name: name, method: method, spec: spec)) }
        }
        for name in ["tinyResNet5", "resnet"] {
            for spec in ["e4m3", "int4"] { out.append(Case(name: name, method: .cle, spec: spec)) }
        }
        for name in ["tinyCNN", "tinyResNet", "random"] {
            for spec in ["e3m2", "int4"] { out.append(Case(name: name, method: .coordinateDescent, spec: spec, maxSweeps: 3)) }
        }
        return out
    }()

    @Test("the ℓ² path-metric is the same (1e-12) on randomly rescaled copies", arguments: cases)
    func immune(_ c: Case) throws {
        let g = try Self.network(c.name), spec = try Self.grids(c.spec)
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = c.maxSweeps
        let a = try GraphQuantizer.quantize(g, method: c.method, grids: spec, options: options)
        #expect(onGrids(a.network, a.grids))
        var copies = try (UInt64(1)...2).map { try g.randomlyRescaled(choices: [1, 128, 4096], seed: $0).network }
        if g.perceptronWidths != nil {  // log-uniform factors in [0.01, 100] too
            copies.append(try g.rescaled(by: randomNeuronFactors(g, seed: 11)))
        }
        for (k, copy) in copies.enumerated() {
            let b = try GraphQuantizer.quantize(copy, method: c.method, grids: spec, options: options)
            #expect(relDiff(a.l2PathMetric, b.l2PathMetric) <= 1e-12,
                    "\(c.testDescription) copy \(k): \(a.l2PathMetric) vs \(b.l2PathMetric)")
        }
    }

    @Test("RTN is not immune: its error changes on a rescaled copy (perceptron and graph)")
    func rtnChanges() throws {
        for name in ["mlp-4-6-5-3", "tinyResNet"] {
            let g = try Self.network(name), spec = try Self.grids("e2m1")
            let a = try GraphQuantizer.quantize(g, method: .rtn, grids: spec)
            let b = try GraphQuantizer.quantize(try g.randomlyRescaled(choices: [1, 128, 4096], seed: 3).network,
                                                method: .rtn, grids: spec)
            #expect(relDiff(a.l2PathMetric, b.l2PathMetric) > 1e-3, "\(name)")
        }
    }
}
