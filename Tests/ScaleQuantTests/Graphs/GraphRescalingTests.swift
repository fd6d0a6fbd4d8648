import Foundation
import Testing
@testable import ScaleQuant

@Suite("Graphs: channel groups and rescaling")
struct GraphRescalingTests {
    static func bundled(_ name: String) throws -> GraphNetwork {
        try GraphNetwork.load(spec: resource("models/digits_\(name).json")).foldingBatchNorm()
    }

    @Test("the bundled CNN has one group per hidden channel, with the right slices")
    func cnnGroups() throws {
        let g = try Self.bundled("cnn")
        let groups = try g.channelGroups
        #expect(groups.count == 8 + 16)
        #expect(groups[0].incoming == [.init(node: 0, channel: 0)])
        #expect(groups[0].outgoing == [.init(node: 3, channel: 0)])
        // conv2 channel 5 reaches fc through avgpool and flatten: features 5·4 … 5·4 + 3.
        #expect(groups[8 + 5].outgoing == (20..<24).map { .init(node: 7, channel: $0) })
        #expect(g.incomingWeightIndices(.init(node: 3, channel: 2)) == 144..<216)
        #expect(g.outgoingWeightIndices(.init(node: 3, channel: 1)).count == 16 * 9)
        #expect(g.outgoingWeightIndices(.init(node: 7, channel: 3)) == (0..<10).map { $0 * 64 + 3 })
    }

    @Test("the folded ResNet ties the stem and the block output across the skip")
    func resnetGroups() throws {
        let g = try Self.bundled("resnet")
        let groups = try g.channelGroups
        #expect(groups.count == 16)
        // Group c: conv0 and conv2 channel c (joined by the add); outgoing: conv1's input c and fc's 16 features.
        let conv0 = g.nodeIndex(named: "conv0")!, conv1 = g.nodeIndex(named: "conv1")!
        let conv2 = g.nodeIndex(named: "conv2")!, fc = g.nodeIndex(named: "fc")!
        #expect(groups[3].incoming == [.init(node: conv0, channel: 3), .init(node: conv2, channel: 3)])
        #expect(groups[3].outgoing == [.init(node: conv1, channel: 3)] + (48..<64).map { .init(node: fc, channel: $0) })
        #expect(groups[8 + 3].incoming == [.init(node: conv1, channel: 3)])
        #expect(groups[8 + 3].outgoing == [.init(node: conv2, channel: 3)])
    }

    @Test("the output and channels tied to the input are not rescalable")
    func fixedChannels() throws {
        // add(conv(x), x): the conv's channels are tied to the input.
        let g = try GraphNetwork(inputShape: [2, 3, 3], nodes: [
            .conv2d("c", input: "input", weight: [Double](repeating: 0.5, count: 4), bias: nil,
                    geometry: Conv2DGeometry(inChannels: 2, outChannels: 2, kernel: (1, 1))),
            .add("a", "c", "input"), .relu("r", input: "a"), .flatten("f", input: "r"),
            .linear("fc", input: "f", weight: [Double](repeating: 1, count: 36), bias: nil, inFeatures: 18,
                    outFeatures: 2)])
        #expect(try g.channelGroups.isEmpty)
        #expect(try g.rescaled(by: []) == g)
    }

    @Test("a perceptron's groups are its hidden neurons, layer by layer, in neuron order")
    func perceptronGroups() throws {
        let g = GraphNetwork.randomPerceptron(widths: [3, 4, 5, 2], seed: 1)
        let groups = try g.channelGroups
        #expect(groups.count == 4 + 5)
        // Linear node 2ℓ outputs hidden layer ℓ; neuron i's outgoing slice is column i of linear node 2ℓ + 2.
        let neurons = [(0, 4), (2, 5)].flatMap { node, width in (0..<width).map { (node, $0) } }
        for (group, (node, i)) in zip(groups, neurons) {
            #expect(group.incoming == [.init(node: node, channel: i)])
            #expect(group.outgoing == [.init(node: node + 2, channel: i)])
        }
    }

    /// Every graph the rescaling tests run on: the bundled models, tiny graphs and random graphs with skips.
    static func graphs() throws -> [(String, GraphNetwork)] {
        var out = [("cnn", try bundled("cnn")), ("resnet", try bundled("resnet")),
                   ("tinyCNN", try tinyCNN(seed: 1)), ("tinyResNet", try tinyResNet(seed: 2))]
        for seed in 0..<12 {
            let g = try randomGraph(seed: UInt64(500 + seed))
            if g.nodes.contains(where: { $0.operation == .add }) { out.append(("random\(seed)", g)) }
        }
        return out
    }

    @Test("outputs are unchanged (1e-12) under random admissible rescalings")
    func outputsInvariant() throws {
        for (name, g) in try Self.graphs() {
            let x = uniformSamples(20 * g.inputSize, radius: 1, seed: 9)
            let y = try g.forward(x, batch: 20)
            let a = try g.randomlyRescaled(choices: [1, 128, 4096], seed: 3).network
            let b = try g.rescaled(by: try randomFactors(g, seed: 4))
            #expect(try a != g || (g.channelGroups.isEmpty), "\(name)")
            #expect(try maxRelDiff(a.forward(x, batch: 20), y) < 1e-12, "\(name)")
            #expect(try maxRelDiff(b.forward(x, batch: 20), y) < 1e-12, "\(name)")
        }
    }

    @Test("the normal form is canonical for the orbit and has max |counted incoming| = 1")
    func normalForm() throws {
        for (name, g) in try Self.graphs() {
            let (n, factors) = try g.normalForm()
            let x = uniformSamples(10 * g.inputSize, radius: 1, seed: 2)
            #expect(try maxRelDiff(n.forward(x, batch: 10), g.forward(x, batch: 10)) < 1e-12, "\(name)")
            #expect(try factors.count == (g.channelGroups.count))
            for seed: UInt64 in [1, 2] {
                let m = try g.rescaled(by: try randomFactors(g, seed: seed)).normalForm().network
                for (p, q) in zip(m.nodes, n.nodes) {
                    #expect(maxRelDiff(p.weight + p.bias, q.weight + q.bias) < 1e-12, "\(name) \(p.name)")
                }
            }
            // The first incoming node of each group has all its parameters counted: its max is ≤ 1, and 1 somewhere.
            for group in try n.channelGroups {
                let first = group.incoming.filter { $0.node == group.incoming[0].node }
                let top = first.flatMap { m in n.incomingWeightIndices(m).map { abs(n.nodes[m.node].weight[$0]) }
                    + [abs(n.nodes[m.node].bias[m.channel])] }.max()!
                #expect(top <= 1 + 1e-15, "\(name)")
            }
        }
    }

    @Test("bad factors are errors")
    func badFactors() throws {
        let g = try tinyCNN(seed: 1)
        let k = try g.channelGroups.count
        #expect(k == 8)
        for bad in [0.0, -1, .nan, .infinity] {
            var f = [Double](repeating: 1, count: k)
            f[2] = bad
            #expect(throws: GraphError.self) { _ = try g.rescaled(by: f) }
        }
        #expect(throws: GraphError.self) { _ = try g.rescaled(by: [1]) }
        #expect(throws: GraphError.self) { _ = try g.randomlyRescaled(choices: [], seed: 1) }
        #expect(throws: GraphError.self) { _ = try g.randomlyRescaled(choices: [1, 0], seed: 1) }
    }

    @Test("rescaling one group touches exactly its incoming and outgoing slices")
    func slices() throws {
        let g = try tinyResNet(seed: 5)
        let groups = try g.channelGroups
        for (k, group) in groups.enumerated() {
            var f = [Double](repeating: 1, count: groups.count)
            f[k] = 2
            let h = try g.rescaled(by: f)
            var expected: [Int: [Double]] = [:]
            for n in g.nodes.indices where g.nodes[n].operation.isAffine { expected[n] = g.nodes[n].weight }
            var bias: [Int: [Double]] = [:]
            for n in expected.keys { bias[n] = g.nodes[n].bias }
            for m in group.incoming {
                for p in g.incomingWeightIndices(m) { expected[m.node]![p] *= 2 }
                bias[m.node]![m.channel] *= 2
            }
            for m in group.outgoing { for p in g.outgoingWeightIndices(m) { expected[m.node]![p] /= 2 } }
            for (n, w) in expected {
                #expect(maxRelDiff(h.nodes[n].weight, w) < 1e-15)
                #expect(h.nodes[n].bias == bias[n]!)
            }
        }
    }
}
