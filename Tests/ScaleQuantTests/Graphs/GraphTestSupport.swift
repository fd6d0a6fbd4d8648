import Foundation
import Testing
@testable import ScaleQuant

/// The package root (for `Resources/`).
let graphPackageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A bundled file under `Resources/`.
func resource(_ path: String) -> URL { graphPackageRoot.appendingPathComponent("Resources/" + path) }

/// A fresh temporary folder.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("graph-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// max |a − b| / max(max |b|, tiny).
func maxRelDiff(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    let scale = max(b.reduce(0) { max($0, abs($1)) }, 1e-300)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
}

/// An independent reference forward pass for one sample: a direct 7-nested-loop convolution (with the sample
/// loop outside) with stride, zero padding and groups; pooling, flatten, add, batch norm by their definitions.
func naiveGraphForward(_ g: GraphNetwork, _ x: [Double]) -> [Double] {
    var values: [[Double]] = [x]
    for (k, node) in g.nodes.enumerated() {
        let src = g.sourceValues[k], a = values[src[0]], s = g.valueShape(src[0]), t = node.outputShape
        var y = [Double](repeating: 0, count: t.reduce(1, *))
        switch node.operation {
        case .conv2d(let c):
            let ipg = c.inChannels / c.groups, opg = c.outChannels / c.groups
            for o in 0..<t[0] {
                for i in 0..<t[1] {
                    for j in 0..<t[2] {
                        var sum = node.bias[o]
                        for ci in 0..<ipg {
                            for u in 0..<c.kernelHeight {
                                for v in 0..<c.kernelWidth {
                                    let r = i * c.strideHeight + u - c.paddingHeight
                                    let q = j * c.strideWidth + v - c.paddingWidth
                                    if r < 0 || r >= s[1] || q < 0 || q >= s[2] { continue }
                                    let ch = (o / opg) * ipg + ci
                                    sum += node.weight[((o * ipg + ci) * c.kernelHeight + u) * c.kernelWidth + v]
                                        * a[(ch * s[1] + r) * s[2] + q]
                                }
                            }
                        }
                        y[(o * t[1] + i) * t[2] + j] = sum
                    }
                }
            }
        case .linear(let fin, let fout):
            for o in 0..<fout {
                y[o] = node.bias[o]
                for i in 0..<fin { y[o] += node.weight[o * fin + i] * a[i] }
            }
        case .relu:
            y = a.map { max($0, 0) }
        case .maxPool2d(let p), .avgPool2d(let p):
            let average = node.operation == .avgPool2d(p)
            for c in 0..<t[0] {
                for i in 0..<t[1] {
                    for j in 0..<t[2] {
                        var window: [Double] = []
                        for u in 0..<p.kernelHeight {
                            for v in 0..<p.kernelWidth {
                                window.append(a[(c * s[1] + i * p.strideHeight + u) * s[2] + j * p.strideWidth + v])
                            }
                        }
                        y[(c * t[1] + i) * t[2] + j] = average ? window.reduce(0, +) / Double(window.count)
                            : window.max()!
                    }
                }
            }
        case .flatten:
            y = a
        case .add:
            y = zip(a, values[src[1]]).map { $0 + $1 }
        case .batchNorm2d(let b):
            let spatial = a.count / s[0]
            for e in a.indices {
                let c = e / spatial
                y[e] = (a[e] - b.runningMean[c]) / (b.runningVariance[c] + b.eps).squareRoot() * b.gamma[c] + b.beta[c]
            }
        }
        values.append(y)
    }
    return values[values.count - 1]
}

/// Builds graph nodes with seeded He-like weights.
struct GraphBuilder {
    var rng: SeededGenerator
    var nodes: [GraphNode] = []
    var biasScale: Double

    init(seed: UInt64, biasScale: Double = 0.3) {
        rng = SeededGenerator(seed: seed)
        self.biasScale = biasScale
    }

    mutating func gaussians(_ n: Int, _ scale: Double) -> [Double] { rng.gaussians(n).map { $0 * scale } }

    @discardableResult
    mutating func conv(_ name: String, _ input: String, _ g: Conv2DGeometry, bias: Bool = true) -> String {
        let w = gaussians(g.weightCount, (2.0 / Double(g.inPerGroup * g.kernelArea)).squareRoot())
        let b = bias ? gaussians(g.outChannels, biasScale) : nil
        nodes.append(.conv2d(name, input: input, weight: w, bias: b, geometry: g))
        return name
    }

    @discardableResult
    mutating func linear(_ name: String, _ input: String, _ fin: Int, _ fout: Int) -> String {
        nodes.append(.linear(name, input: input, weight: gaussians(fin * fout, (2.0 / Double(fin)).squareRoot()),
                             bias: gaussians(fout, biasScale), inFeatures: fin, outFeatures: fout))
        return name
    }

    @discardableResult
    mutating func bn(_ name: String, _ input: String, _ c: Int) -> String {
        let p = BatchNormParameters(gamma: (0..<c).map { _ in 0.5 + rng.nextUnit() },
                                    beta: gaussians(c, 0.3), runningMean: gaussians(c, 0.5),
                                    runningVariance: (0..<c).map { _ in 0.2 + 2 * rng.nextUnit() }, eps: 1e-5)
        nodes.append(.batchNorm2d(name, input: input, parameters: p))
        return name
    }

    @discardableResult
    mutating func add(_ node: GraphNode) -> String { nodes.append(node); return node.name }

    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(rng.next() % UInt64(r.count)) }
}

/// A tiny CNN-like graph for path enumeration: stride 2, padding, groups = 2, a max-pool and an avg-pool.
/// Input [2, 5, 5].
func tinyCNN(seed: UInt64, maxPool: Bool = true) throws -> GraphNetwork {
    var b = GraphBuilder(seed: seed)
    b.conv("c1", "input", Conv2DGeometry(inChannels: 2, outChannels: 4, kernel: (3, 3), stride: (2, 2),
                                         padding: (1, 1), groups: 2))
    b.add(.relu("r1", input: "c1"))
    b.add(maxPool ? .maxPool2d("mp", input: "r1", kernel: (2, 2), stride: (1, 1))
                  : .avgPool2d("mp", input: "r1", kernel: (2, 2), stride: (1, 1)))
    b.conv("c2", "mp", Conv2DGeometry(inChannels: 4, outChannels: 4, kernel: (2, 2), padding: (1, 1), groups: 2))
    b.add(.relu("r2", input: "c2"))
    b.add(.avgPool2d("ap", input: "r2", kernel: (2, 2), stride: (1, 1)))
    b.add(.flatten("fl", input: "ap"))
    b.linear("fc", "fl", 16, 3)
    return try GraphNetwork(inputShape: [2, 5, 5], nodes: b.nodes)
}

/// A tiny ResNet-like graph: an identity skip (whose second conv reads its own tied group), a strided block with
/// a 1×1 projection skip and a grouped conv, an avg-pool. Input [2, 3, 3].
func tinyResNet(seed: UInt64) throws -> GraphNetwork {
    var b = GraphBuilder(seed: seed)
    b.conv("c0", "input", Conv2DGeometry(inChannels: 2, outChannels: 2, kernel: (3, 3), padding: (1, 1)))
    b.add(.relu("r0", input: "c0"))
    b.conv("c0b", "r0", Conv2DGeometry(inChannels: 2, outChannels: 2, kernel: (3, 3), padding: (1, 1)))
    b.add(.add("s0", "c0b", "r0"))
    b.add(.relu("r0b", input: "s0"))
    b.conv("c1", "r0b", Conv2DGeometry(inChannels: 2, outChannels: 2, kernel: (2, 2), stride: (2, 2), padding: (1, 1)))
    b.add(.relu("r1", input: "c1"))
    b.conv("down", "r0b", Conv2DGeometry(inChannels: 2, outChannels: 2, kernel: (1, 1), stride: (2, 2)))
    b.conv("c2", "r1", Conv2DGeometry(inChannels: 2, outChannels: 2, kernel: (3, 3), padding: (1, 1), groups: 2))
    b.add(.add("s1", "c2", "down"))
    b.add(.relu("r2", input: "s1"))
    b.add(.avgPool2d("ap", input: "r2", kernel: (2, 2)))
    b.add(.flatten("fl", input: "ap"))
    b.linear("fc", "fl", 2, 2)
    return try GraphNetwork(inputShape: [2, 3, 3], nodes: b.nodes)
}

/// A seeded random graph: 2–4 blocks among conv+ReLU (random kernel 1–3, stride 1–2, padding, groups 1–2),
/// residual blocks (conv–ReLU–conv–add–ReLU, the skip possibly the graph input) and max/avg pooling, then
/// flatten and a linear layer with 3 outputs. Optionally a batch norm after every conv.
func randomGraph(seed: UInt64, batchNorm: Bool = false) throws -> GraphNetwork {
    var b = GraphBuilder(seed: seed)
    var c = b.int(1...3), h = b.int(5...8), w = b.int(5...8)
    let inputShape = [c, h, w]
    var cur = "input"
    var id = 0
    func fresh(_ p: String) -> String { id += 1; return "\(p)\(id)" }
    for _ in 0..<b.int(2...4) {
        switch b.int(0...2) {
        case 0:
            let groups = c % 2 == 0 && b.int(0...1) == 1 ? 2 : 1
            let o = groups * b.int(1...3)
            let p = b.int(0...1), s = b.int(1...2)
            let k = min(b.int(1...3), h + 2 * p, w + 2 * p)
            var x = b.conv(fresh("conv"), cur, Conv2DGeometry(inChannels: c, outChannels: o, kernel: (k, k),
                                                              stride: (s, s), padding: (p, p), groups: groups),
                           bias: !batchNorm)
            if batchNorm { x = b.bn(fresh("bn"), x, o) }
            cur = b.add(.relu(fresh("relu"), input: x))
            c = o; h = (h + 2 * p - k) / s + 1; w = (w + 2 * p - k) / s + 1
        case 1:
            let g = Conv2DGeometry(inChannels: c, outChannels: c, kernel: (3, 3), padding: (1, 1))
            var x = b.conv(fresh("conv"), cur, g)
            if batchNorm { x = b.bn(fresh("bn"), x, c) }
            x = b.add(.relu(fresh("relu"), input: x))
            x = b.conv(fresh("conv"), x, g)
            x = b.add(.add(fresh("add"), x, cur))
            cur = b.add(.relu(fresh("relu"), input: x))
        default:
            guard h >= 2, w >= 2 else { continue }
            let s = b.int(1...2)
            let node: GraphNode = b.int(0...1) == 0 ? .maxPool2d(fresh("max"), input: cur, kernel: (2, 2), stride: (s, s))
                : .avgPool2d(fresh("avg"), input: cur, kernel: (2, 2), stride: (s, s))
            cur = b.add(node)
            h = (h - 2) / s + 1; w = (w - 2) / s + 1
        }
    }
    cur = b.add(.flatten(fresh("flat"), input: cur))
    b.linear(fresh("fc"), cur, c * h * w, 3)
    return try GraphNetwork(inputShape: inputShape, nodes: b.nodes)
}

/// The graph with every parameter multiplied by a factor in [1 − ε, 1 + ε] (same signs), seeded.
func perturbedSameSign(_ g: GraphNetwork, seed: UInt64, epsilon: Double) -> GraphNetwork {
    var rng = SeededGenerator(seed: seed)
    return g.mapped { $0 * (1 + epsilon * (2 * rng.nextUnit() - 1)) }
}

/// Random positive factors, log-uniform in [0.01, 100], one per channel group.
func randomFactors(_ g: GraphNetwork, seed: UInt64) throws -> [Double] {
    var rng = SeededGenerator(seed: seed)
    return try g.channelGroups.map { _ in pow(10, 4 * rng.nextUnit() - 2) }
}

/// Seeded uniform samples in [−r, r].
func uniformSamples(_ count: Int, radius r: Double, seed: UInt64) -> [Double] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in r * (2 * rng.nextUnit() - 1) }
}

/// The bundled digits test split: inputs (450 × 64) and labels.
func digitsTestSplit() throws -> (x: [Double], y: [Int]) {
    let x = try NPY.read(resource("data/digits_test_x.npy").path)
    let y = try NPY.read(resource("data/digits_test_y.npy").path)
    return (x.values, y.values.map { Int($0) })
}

/// Index of the largest value in each row of a row-major batch.
func argmaxRows(_ v: [Double], columns: Int) -> [Int] {
    stride(from: 0, to: v.count, by: columns).map { r in
        (0..<columns).max { v[r + $0] < v[r + $1] }!
    }
}

/// The first seeded random graph with a residual join whose paths can be enumerated (≤ 300,000 stored).
func smallRandomGraph() throws -> GraphNetwork {
    for seed in UInt64(0)..<200 {
        let g = try randomGraph(seed: 900 + seed)
        if g.nodes.contains(where: { $0.operation == .add }), g.nodes.count > 6,
           (try? GraphPathEnumerator.inPaths(g, limit: 300_000)) != nil { return g }
    }
    throw GraphError.invalidGraph("no small random graph found")
}
