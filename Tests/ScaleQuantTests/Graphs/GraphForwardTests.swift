import Foundation
import Testing
@testable import ScaleQuant

@Suite("Graphs: forward pass")
struct GraphForwardTests {
    @Test("forward equals the naive 7-loop reference on random seeded graphs", arguments: 0..<16)
    func randomGraphsMatchReference(_ seed: Int) throws {
        let g = try randomGraph(seed: UInt64(100 + seed), batchNorm: seed % 4 == 3)
        for batch in [1, 5, 17] {
            let x = uniformSamples(batch * g.inputSize, radius: 2, seed: UInt64(seed * 10 + batch))
            let y = try g.forward(x, batch: batch)
            #expect(y.count == batch * g.outputSize)
            for r in 0..<batch {
                let ref = naiveGraphForward(g, Array(x[(r * g.inputSize)..<((r + 1) * g.inputSize)]))
                let got = Array(y[(r * g.outputSize)..<((r + 1) * g.outputSize)])
                for (a, b) in zip(got, ref) { #expect(abs(a - b) <= 1e-12 * (1 + abs(b))) }
            }
        }
    }

    @Test("tiny graphs (stride 2, padding, groups 2, pools, skips) match the reference")
    func tinyGraphsMatchReference() throws {
        for g in [try tinyCNN(seed: 1), try tinyCNN(seed: 2, maxPool: false), try tinyResNet(seed: 3)] {
            let x = uniformSamples(9 * g.inputSize, radius: 1.5, seed: 7)
            let y = try g.forward(x, batch: 9)
            for r in 0..<9 {
                let ref = naiveGraphForward(g, Array(x[(r * g.inputSize)..<((r + 1) * g.inputSize)]))
                #expect(maxRelDiff(Array(y[(r * g.outputSize)..<((r + 1) * g.outputSize)]), ref) < 1e-13)
            }
        }
    }

    @Test("a perceptron graph computes the dense MLP function; randomPerceptron draws weights then biases per layer")
    func perceptron() throws {
        let g = GraphNetwork.randomPerceptron(widths: [7, 9, 5, 3], seed: 5, biasScale: 0.4)
        #expect(g.nodes.map(\.name) == ["0", "1", "2", "3", "4"])
        #expect(g.perceptronWidths == [7, 9, 5, 3])
        let x = uniformSamples(11 * 7, radius: 1, seed: 3)
        let y = try g.forward(x, batch: 11)
        for r in 0..<11 {
            let ref = referenceForward(g, Array(x[(r * 7)..<((r + 1) * 7)]))
            #expect(maxRelDiff(Array(y[(r * 3)..<((r + 1) * 3)]), ref) < 1e-14)
        }
        // The same draws by hand: He-normal weights N(0, 2/fan_in), then biases N(0, 0.4²), layer by layer.
        var rng = SeededGenerator(seed: 5)
        var weights: [[Double]] = [], biases: [[Double]?] = []
        for (fin, fout) in [(7, 9), (9, 5), (5, 3)] {
            let s = (2.0 / Double(fin)).squareRoot()
            weights.append(rng.gaussians(fin * fout).map { $0 * s })
            biases.append(rng.gaussians(fout).map { $0 * 0.4 })
        }
        #expect(try GraphNetwork.perceptron(widths: [7, 9, 5, 3], weights: weights, biases: biases) == g)
        // Graphs that are not linear/relu chains ending in linear are not perceptrons.
        #expect(try tinyCNN(seed: 1).perceptronWidths == nil)
        let flattenFirst = try GraphNetwork(inputShape: [2, 1, 1], nodes: [
            .flatten("f", input: "input"),
            .linear("fc", input: "f", weight: [1, 2], bias: nil, inFeatures: 2, outFeatures: 1)])
        #expect(flattenFirst.perceptronWidths == nil)
        let endsInRelu = try GraphNetwork(inputShape: [2], nodes: [
            .linear("fc", input: "input", weight: [1, 2], bias: nil, inFeatures: 2, outFeatures: 1),
            .relu("r", input: "fc")])
        #expect(endsInRelu.perceptronWidths == nil)
    }

    @Test("bundled CNN and ResNet reproduce the torch logits and accuracies")
    func bundledModels() throws {
        let (x, labels) = try digitsTestSplit()
        #expect(x.count == 450 * 64)
        for (name, expected) in [("cnn", 444), ("resnet", 446)] {
            let g = try GraphNetwork.load(spec: resource("models/digits_\(name).json"))
            let torch = try NPY.read(resource("data/digits_\(name)_test_logits.npy").path)
            #expect(torch.shape == [450, 10])
            let logits = try g.forward(x, batch: 450)
            let diff = zip(logits, torch.values).reduce(0) { max($0, abs($1.0 - $1.1)) }
            let correct = zip(argmaxRows(logits, columns: 10), labels).filter { $0 == $1 }.count
            let agree = zip(argmaxRows(logits, columns: 10), argmaxRows(torch.values, columns: 10))
                .filter { $0 == $1 }.count
            print("digits_\(name): accuracy \(correct)/450, argmax agreement with torch \(agree)/450, "
                  + "max |logit − torch| = \(diff)")
            #expect(diff < 1e-4)
            #expect(correct == expected)
            #expect(agree == 450)
            // The folded graph computes the same logits.
            let folded = try g.foldingBatchNorm()
            #expect(!folded.hasBatchNorm)
            #expect(try maxRelDiff(folded.forward(x, batch: 450), logits) < 1e-12)
        }
    }

    @Test("bad batch sizes are errors, not crashes")
    func badInput() throws {
        let g = try tinyCNN(seed: 1)
        #expect(throws: GraphError.self) { _ = try g.forward([1, 2, 3], batch: 1) }
        #expect(throws: GraphError.self) { _ = try g.forward([], batch: -1) }
        #expect(try g.forward([], batch: 0).isEmpty)
        #expect(throws: GraphError.self) { _ = try g([0]) }
    }
}
