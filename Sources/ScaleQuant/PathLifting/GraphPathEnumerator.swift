/// Brute-force path enumeration for tiny graphs: the test oracle of ``GraphPathLifting`` (exponential in depth).
///
/// A path goes from an input element, or from the bias of a conv/linear output element, through the value
/// elements of the graph (one vertex per element of every value) to an element further on. Its value is the
/// product of its edge weights — conv/linear weights, 1 for max-pool (counted as sum-pool), ReLU, flatten and add
/// edges, 1/k for an average pool over k elements — times the bias if it starts at one (A. Gonon et al.,
/// arXiv 2310.01225). The edge lists here are written independently of the fast passes.
public enum GraphPathEnumerator {
    /// Where a path starts.
    public enum Start: Sendable, Hashable {
        /// At element i of the graph input.
        case input(Int)
        /// At the bias of output channel (or feature) `channel` of node `node`.
        case bias(node: Int, channel: Int)
    }

    /// One path: its value and where it starts.
    public struct Path: Sendable, Equatable {
        /// The product of the edge weights (times the bias for a bias path).
        public var value: Double
        /// The path's first vertex.
        public var start: Start
    }

    /// Φ(θ): the in-paths of the output elements, output element by output element, in the order of
    /// ``inPaths(_:limit:)`` (two graphs of one structure list the same paths in the same order).
    ///
    /// - Throws: ``GraphError`` with batch normalization or when more than `limit` paths would be stored.
    public static func paths(_ g: GraphNetwork, limit: Int = 2_000_000) throws -> [Path] {
        try inPaths(g, limit: limit)[g.valueCount - 1].flatMap { $0 }
    }

    /// For every value (0: input, k + 1: node k) and element, the paths ending there: input elements have the
    /// single path `.input(e)` of value 1; a node element's paths are, for each of its sources in order, the
    /// source's paths times the edge weight, then (conv/linear) its own bias path.
    ///
    /// - Complexity: O(total number of stored paths · depth).
    /// - Throws: ``GraphError`` with batch normalization or when more than `limit` paths would be stored.
    public static func inPaths(_ g: GraphNetwork, limit: Int = 2_000_000) throws -> [[[Path]]] {
        try g.requireNoBatchNorm("path enumeration")
        var counts: [[Double]] = [[Double](repeating: 1, count: g.inputSize)]
        for n in g.nodes.indices {
            counts.append((0..<g.valueSize(n + 1)).map { e in
                sources(g, node: n, element: e).reduce(g.nodes[n].operation.isAffine ? 1 : 0) {
                    $0 + counts[$1.value][$1.element]
                }
            })
        }
        let total = counts.reduce(0) { $0 + $1.reduce(0, +) }
        guard total <= Double(limit) else {
            throw GraphError.unsupported("path enumeration would store \(total) paths (limit \(limit)); it is meant "
                                         + "for tiny graphs")
        }
        var paths: [[[Path]]] = [(0..<g.inputSize).map { [Path(value: 1, start: .input($0))] }]
        for n in g.nodes.indices {
            let node = g.nodes[n]
            paths.append((0..<g.valueSize(n + 1)).map { e in
                var list: [Path] = []
                for s in sources(g, node: n, element: e) {
                    list += paths[s.value][s.element].map { Path(value: s.weight * $0.value, start: $0.start) }
                }
                if let c = biasChannel(g, node: n, element: e) {
                    list.append(Path(value: node.bias[c], start: .bias(node: n, channel: c)))
                }
                return list
            })
        }
        return paths
    }

    /// For every value and element, the values of the paths from it to the output elements (products of the edge
    /// weights after it; an output element has the single empty path of value 1), in a fixed order shared by
    /// graphs of one structure.
    ///
    /// - Throws: ``GraphError`` with batch normalization or when more than `limit` paths would be stored.
    public static func outPaths(_ g: GraphNetwork, limit: Int = 2_000_000) throws -> [[[Double]]] {
        try g.requireNoBatchNorm("path enumeration")
        var counts = (0..<g.valueCount).map { [Double](repeating: 0, count: g.valueSize($0)) }
        counts[g.valueCount - 1] = [Double](repeating: 1, count: g.outputSize)
        for n in g.nodes.indices.reversed() {
            for e in 0..<g.valueSize(n + 1) {
                for s in sources(g, node: n, element: e) { counts[s.value][s.element] += counts[n + 1][e] }
            }
        }
        let total = counts.reduce(0) { $0 + $1.reduce(0, +) }
        guard total <= Double(limit) else {
            throw GraphError.unsupported("path enumeration would store \(total) paths (limit \(limit)); it is meant "
                                         + "for tiny graphs")
        }
        var out = (0..<g.valueCount).map { [[Double]](repeating: [], count: g.valueSize($0)) }
        out[g.valueCount - 1] = [[Double]](repeating: [1], count: g.outputSize)
        for n in g.nodes.indices.reversed() {
            for e in 0..<g.valueSize(n + 1) {
                for s in sources(g, node: n, element: e) {
                    out[s.value][s.element] += out[n + 1][e].map { s.weight * $0 }
                }
            }
        }
        return out
    }

    /// The bias channel of element e of node n, if the node is conv2d/linear.
    static func biasChannel(_ g: GraphNetwork, node n: Int, element e: Int) -> Int? {
        let shape = g.nodes[n].outputShape
        switch g.nodes[n].operation {
        case .conv2d: return e / (shape[1] * shape[2])
        case .linear: return e
        default: return nil
        }
    }

    /// The incoming edges of element e of node n: (source value, source element, edge weight), computed directly
    /// from the definition of each operation.
    static func sources(_ g: GraphNetwork, node n: Int, element e: Int) -> [(value: Int, element: Int, weight: Double)] {
        let node = g.nodes[n], src = g.sourceValues[n], x = g.valueShape(src[0]), y = node.outputShape
        switch node.operation {
        case .conv2d(let c):
            let o = e / (y[1] * y[2]), i = (e / y[2]) % y[1], j = e % y[2]
            var list: [(value: Int, element: Int, weight: Double)] = []
            let group = o / (c.outChannels / c.groups), perGroup = c.inChannels / c.groups
            for ci in 0..<perGroup {
                for u in 0..<c.kernelHeight {
                    for v in 0..<c.kernelWidth {
                        let r = i * c.strideHeight + u - c.paddingHeight, s = j * c.strideWidth + v - c.paddingWidth
                        guard r >= 0, r < x[1], s >= 0, s < x[2] else { continue }
                        let channel = group * perGroup + ci
                        let w = node.weight[((o * perGroup + ci) * c.kernelHeight + u) * c.kernelWidth + v]
                        list.append((src[0], (channel * x[1] + r) * x[2] + s, w))
                    }
                }
            }
            return list
        case .linear(let fin, _):
            return (0..<fin).map { (src[0], $0, node.weight[e * fin + $0]) }
        case .relu, .flatten:
            return [(src[0], e, 1)]
        case .add:
            return [(src[0], e, 1), (src[1], e, 1)]
        case .maxPool2d(let p), .avgPool2d(let p):
            let weight = node.operation == .avgPool2d(p) ? 1 / Double(p.kernelHeight * p.kernelWidth) : 1
            let ch = e / (y[1] * y[2]), i = (e / y[2]) % y[1], j = e % y[2]
            var list: [(value: Int, element: Int, weight: Double)] = []
            for u in 0..<p.kernelHeight {
                for v in 0..<p.kernelWidth {
                    list.append((src[0], (ch * x[1] + i * p.strideHeight + u) * x[2] + j * p.strideWidth + v, weight))
                }
            }
            return list
        case .batchNorm2d:
            return []
        }
    }
}
