import Testing
@testable import ScaleQuant

extension Baselines {
    /// ``LayerwisePass/inputMoments(_:inputShape:input:samples:)`` against im2col done by brute force: the value of
    /// weight j's input at an output position is that output of the node with the one-hot weight e_j and no bias
    /// (the test target's naive reference convolution).
    @Suite struct InputMomentsTests {
        @Test(arguments: [1, 2])
        func convolutionMomentsMatchOneHotForward(groups: Int) throws {
            let geo = Conv2DGeometry(inChannels: 4, outChannels: 2 * groups, kernel: (3, 2), stride: (2, 2),
                                     padding: (1, 1), groups: groups)
            let shape = [4, 5, 6], samples = 13, width = geo.inPerGroup * geo.kernelArea, cols = width + 1
            var rng = SeededGenerator(seed: UInt64(40 + groups))
            let x = rng.gaussians(samples * 120)
            func graph(_ w: [Double]) throws -> GraphNetwork {
                try GraphNetwork(inputShape: shape, nodes: [.conv2d("c", input: "input", weight: w,
                                                                    bias: [Double](repeating: 0, count: geo.outChannels),
                                                                    geometry: geo)])
            }
            let g = try graph(rng.gaussians(geo.weightCount))
            let outShape = g.nodes[0].outputShape, positions = outShape[1] * outShape[2]
            #expect(outShape == [2 * groups, 3, 4])
            // z[group][sample][position][j], j < width from one-hot forwards, then the constant 1.
            let perGroup = geo.outChannels / groups
            var z = [[[[Double]]]](repeating: [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 1, count: cols),
                                                                                   count: positions), count: samples),
                                   count: groups)
            for j in 0..<width {
                var w = [Double](repeating: 0, count: geo.weightCount)
                for gr in 0..<groups { w[gr * perGroup * width + j] = 1 }
                let oneHot = try graph(w)
                for s in 0..<samples {
                    let y = naiveGraphForward(oneHot, Array(x[(s * 120)..<((s + 1) * 120)]))
                    for gr in 0..<groups { for p in 0..<positions { z[gr][s][p][j] = y[gr * perGroup * positions + p] } }
                }
            }
            let moments = LayerwisePass.inputMoments(g.nodes[0], inputShape: shape, input: x, samples: samples)
            #expect(moments.count == groups)
            for gr in 0..<min(groups, moments.count) {
                #expect(moments[gr].count == cols * cols)
                var worst = 0.0
                for i in 0..<cols {
                    for j in 0..<cols {
                        var m = 0.0
                        for s in 0..<samples { for p in 0..<positions { m += z[gr][s][p][i] * z[gr][s][p][j] } }
                        m /= Double(samples * positions)
                        worst = max(worst, abs(moments[gr][i * cols + j] - m))
                    }
                }
                #expect(worst <= 1e-13, "group \(gr): \(worst)")
                #expect(moments[gr][cols * cols - 1] == 1)
            }
        }

        @Test func linearMomentsAreTheMeanOuterProductWithOne() throws {
            var rng = SeededGenerator(seed: 7)
            let fin = 5, samples = 11
            let g = try GraphNetwork(inputShape: [fin], nodes: [.linear("l", input: "input", weight: rng.gaussians(3 * fin),
                                                                       bias: rng.gaussians(3), inFeatures: fin, outFeatures: 3)])
            let x = rng.gaussians(samples * fin)
            let m = LayerwisePass.inputMoments(g.nodes[0], inputShape: [fin], input: x, samples: samples)
            try #require(m.count == 1 && m[0].count == (fin + 1) * (fin + 1))
            for i in 0...fin {
                for j in 0...fin {
                    let e = (0..<samples).reduce(0.0) { t, s in
                        t + (i == fin ? 1 : x[s * fin + i]) * (j == fin ? 1 : x[s * fin + j])
                    } / Double(samples)
                    #expect(abs(m[0][i * (fin + 1) + j] - e) <= 1e-14, "(\(i), \(j))")
                }
            }
        }
    }
}
