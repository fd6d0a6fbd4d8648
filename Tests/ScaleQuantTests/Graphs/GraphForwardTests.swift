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

    @Test("a converted MLP computes the MLP's function")
    func mlpConversion() throws {
        let mlp = ReLUNetwork.random(widths: [7, 9, 5, 3], seed: 5, biasScale: 0.4)
        let g = try GraphNetwork(mlp)
        #expect(g.nodes.map(\.name) == ["0", "1", "2", "3", "4"])
        let x = uniformSamples(11 * 7, radius: 1, seed: 3)
        #expect(try maxRelDiff(g.forward(x, batch: 11), mlp.forward(x, batch: 11)) < 1e-14)
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
