/// A set of hidden channels of a ``GraphNetwork`` that must be rescaled by one common factor λ > 0 (docs/Theory.md §4).
///
/// A *unit* is an output channel of a conv2d or linear node (after batch-norm folding). Multiplying its incoming
/// parameters (the kernel slice `weight[o, …]` and `bias[o]`) by λ multiplies the channel by λ; ReLU, max and
/// average pooling and flatten commute with that, so dividing every parameter that reads the channel (a consumer
/// conv's `weight[:, c, :, :]` within c's group, or a linear node's columns for the features c·H·W … (c+1)·H·W − 1
/// after flatten, through any pooling) by λ leaves the function unchanged. Channels joined by an `add` must share
/// their λ; a group is the closure of units under these joins (union-find). Units tied to the graph input or
/// reaching the output node are not rescalable and belong to no group.
public struct ChannelGroup: Sendable, Equatable {
    /// A (node, channel) pair: for ``incoming``, node's output channel; for ``outgoing``, the node's input channel
    /// (conv2d) or input feature (linear).
    public struct Member: Sendable, Hashable {
        /// The node index in ``GraphNetwork/nodes``.
        public var node: Int
        /// The channel (or feature) index.
        public var channel: Int
        /// Creates a member.
        public init(node: Int, channel: Int) { self.node = node; self.channel = channel }
    }

    /// The units whose incoming parameters are multiplied by λ, in node order.
    public var incoming: [Member]
    /// The consumer inputs whose parameters are divided by λ, in node order.
    public var outgoing: [Member]
}

/// The rescaling structure of a batch-norm-free graph: the groups and, for every value, the group each channel
/// belongs to.
struct RescalingStructure: Sendable {
    /// The rescalable groups, ordered by their first incoming node (then channel).
    var groups: [ChannelGroup]
    /// `channelGroup[v][c]`: the group of channel c of value v (features of `[F]` values), or −1 if fixed.
    var channelGroup: [[Int]]
}

extension GraphNetwork {
    /// The rescalable channel groups, in the order used by ``rescaled(by:)`` (by first incoming node).
    ///
    /// - Complexity: O(Σ over values of their channels or features), nearly linear (union-find).
    /// - Throws: ``GraphError/unsupported(_:)`` if the graph has batch normalization (fold it first).
    public var channelGroups: [ChannelGroup] {
        get throws { try rescalingStructure().groups }
    }

    /// Builds the groups by union-find over units (unit 0 is "fixed": the input and the output).
    func rescalingStructure() throws -> RescalingStructure {
        try requireNoBatchNorm("rescaling")
        var base = [Int](repeating: 0, count: nodes.count)
        var unitCount = 1
        for (k, node) in nodes.enumerated() where node.operation.isAffine {
            base[k] = unitCount
            unitCount += node.operation.affineOutputs
        }
        var parent = Array(0..<unitCount)
        func find(_ x: Int) -> Int {
            var r = x
            while parent[r] != r { r = parent[r] }
            var y = x
            while parent[y] != r { let next = parent[y]; parent[y] = r; y = next }
            return r
        }
        func union(_ a: Int, _ b: Int) {
            let (ra, rb) = (find(a), find(b))
            if ra != rb { if ra < rb { parent[rb] = ra } else { parent[ra] = rb } }
        }
        var unitOf: [[Int]] = [[Int](repeating: 0, count: inputShape[0])]
        for (k, node) in nodes.enumerated() {
            let src = sourceValues[k]
            switch node.operation {
            case .conv2d, .linear:
                unitOf.append((0..<node.operation.affineOutputs).map { base[k] + $0 })
            case .relu, .maxPool2d, .avgPool2d, .batchNorm2d:
                unitOf.append(unitOf[src[0]])
            case .flatten:
                let s = valueShape(src[0])
                let spatial = s.count == 3 ? s[1] * s[2] : 1
                unitOf.append((0..<s.reduce(1, *)).map { unitOf[src[0]][$0 / spatial] })
            case .add:
                for (a, b) in zip(unitOf[src[0]], unitOf[src[1]]) { union(a, b) }
                unitOf.append(unitOf[src[0]])
            }
        }
        for u in unitOf[valueCount - 1] { union(u, 0) }
        let fixed = find(0)
        var groupOfRoot: [Int: Int] = [:]
        var groups: [ChannelGroup] = []
        for (k, node) in nodes.enumerated() where node.operation.isAffine {
            for o in 0..<node.operation.affineOutputs {
                let r = find(base[k] + o)
                if r == fixed { continue }
                if groupOfRoot[r] == nil {
                    groupOfRoot[r] = groups.count
                    groups.append(ChannelGroup(incoming: [], outgoing: []))
                }
                groups[groupOfRoot[r]!].incoming.append(.init(node: k, channel: o))
            }
        }
        let channelGroup = unitOf.map { units in units.map { groupOfRoot[find($0)] ?? -1 } }
        for (k, node) in nodes.enumerated() where node.operation.isAffine {
            for (c, g) in channelGroup[sourceValues[k][0]].enumerated() where g >= 0 {
                groups[g].outgoing.append(.init(node: k, channel: c))
            }
        }
        return RescalingStructure(groups: groups, channelGroup: channelGroup)
    }

    /// Indices into `nodes[m.node].weight` of unit m's incoming weights (`weight[o, …]`, contiguous); its bias is
    /// `bias[o]`. Empty if m is not an output channel of a conv2d/linear node.
    public func incomingWeightIndices(_ m: ChannelGroup.Member) -> Range<Int> {
        guard nodes.indices.contains(m.node), nodes[m.node].operation.isAffine,
              nodes[m.node].bias.indices.contains(m.channel) else { return 0..<0 }
        let node = nodes[m.node]
        let per = node.weight.count / node.bias.count
        return (m.channel * per)..<((m.channel + 1) * per)
    }

    /// Indices into `nodes[m.node].weight` of the weights reading input channel (or feature) m.channel: for a
    /// conv2d, `weight[o, c − g·C/G, u, v]` for the output channels o of c's group g; for a linear node, column c.
    /// Empty if m.node is not a conv2d/linear node or m.channel not one of its input channels/features.
    public func outgoingWeightIndices(_ m: ChannelGroup.Member) -> [Int] {
        guard nodes.indices.contains(m.node), m.channel >= 0,
              m.channel < valueShape(sourceValues[m.node][0])[0] else { return [] }
        switch nodes[m.node].operation {
        case .conv2d(let g):
            let group = m.channel / g.inPerGroup, ci = m.channel - group * g.inPerGroup
            var out: [Int] = []
            out.reserveCapacity(g.outPerGroup * g.kernelArea)
            for o in (group * g.outPerGroup)..<((group + 1) * g.outPerGroup) {
                let start = g.weightIndex(o, ci, 0, 0)
                out.append(contentsOf: start..<(start + g.kernelArea))
            }
            return out
        case .linear(let fin, let fout):
            return (0..<fout).map { $0 * fin + m.channel }
        default:
            return []
        }
    }

    /// For node n (conv2d/linear) and weight index p, the input channel (conv2d) or feature (linear) it reads.
    func inputChannel(ofWeight p: Int, node n: Int) -> Int {
        switch nodes[n].operation {
        case .conv2d(let g):
            let o = p / (g.inPerGroup * g.kernelArea)
            let ci = (p / g.kernelArea) % g.inPerGroup
            return (o / g.outPerGroup) * g.inPerGroup + ci
        case .linear(let fin, _):
            return p % fin
        default:
            return 0
        }
    }
}
