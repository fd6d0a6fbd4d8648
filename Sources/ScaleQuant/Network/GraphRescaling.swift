extension GraphNetwork {
    /// The graph rescaled by one factor per channel group (``channelGroups`` order): every incoming parameter of a
    /// group's units is multiplied by its λ and every outgoing one divided by it. The function and the
    /// path-lifting Φ are unchanged (docs/Theory.md §4; Gonon et al., arXiv 2310.01225).
    ///
    /// - Complexity: O(parameters).
    /// - Throws: ``GraphError/invalidArgument(_:)`` if the count differs from the number of groups or a factor is
    ///   not positive and finite (0, negative, NaN, ∞); ``GraphError/unsupported(_:)`` with batch normalization.
    public func rescaled(by factors: [Double]) throws -> GraphNetwork {
        let s = try rescalingStructure()
        guard factors.count == s.groups.count else {
            throw GraphError.invalidArgument("\(factors.count) scaling factors for \(s.groups.count) channel groups")
        }
        if let i = factors.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw GraphError.invalidArgument("scaling factor [\(i)] = \(factors[i]) must be positive and finite")
        }
        return applying(factors, s)
    }

    /// The graph rescaled by factors drawn uniformly from `choices` (e.g. {1, 128, 4096}, the path-metrics paper's
    /// experiment), seeded; returns the graph and the factors (one per group).
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` if `choices` is empty or has a non-positive or non-finite value;
    ///   ``GraphError/unsupported(_:)`` with batch normalization.
    public func randomlyRescaled(choices: [Double], seed: UInt64) throws -> (network: GraphNetwork, factors: [Double]) {
        guard !choices.isEmpty, choices.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw GraphError.invalidArgument("rescaling choices \(choices) must be non-empty, positive and finite")
        }
        let s = try rescalingStructure()
        var rng = SeededGenerator(seed: seed)
        let factors = s.groups.map { _ in choices[Int(rng.next() % UInt64(choices.count))] }
        return (applying(factors, s), factors)
    }

    /// A canonical member of the rescaling orbit: groups are visited in order (by first incoming node) and each is
    /// scaled so that the largest |incoming parameter| over the group is 1 — counting the biases and the weights
    /// that read the input, fixed channels or groups visited earlier. Weights that read the group itself or a
    /// later group (possible only through a residual join: e.g. the second convolution of a basic block, whose
    /// output is tied to the block input) are not counted, since their scale is not settled yet; with that rule
    /// the result depends only on the orbit (an exact "max = 1 over all incoming parameters" need not exist when a
    /// join closes a loop of groups). The first incoming node of each group has all its weights counted, so a group
    /// is left unscaled only if all its counted parameters are zero. Returns the graph and the factors applied.
    ///
    /// - Complexity: O(parameters).
    /// - Throws: ``GraphError/unsupported(_:)`` with batch normalization.
    public func normalForm() throws -> (network: GraphNetwork, factors: [Double]) {
        let s = try rescalingStructure()
        var out = self
        var factors = [Double](repeating: 1, count: s.groups.count)
        for (k, group) in s.groups.enumerated() {
            var m = 0.0
            for member in group.incoming {
                let node = out.nodes[member.node], src = sourceValues[member.node][0]
                m = max(m, abs(node.bias[member.channel]))
                for p in incomingWeightIndices(member)
                where s.channelGroup[src][inputChannel(ofWeight: p, node: member.node)] < k {
                    m = max(m, abs(node.weight[p]))
                }
            }
            guard m > 0, m.isFinite else { continue }
            factors[k] = 1 / m
            out.scale(group, by: 1 / m)
        }
        return (out, factors)
    }

    /// Applies one factor per group (validated by the caller). O(parameters).
    func applying(_ factors: [Double], _ s: RescalingStructure) -> GraphNetwork {
        var out = self
        for k in nodes.indices where nodes[k].operation.isAffine {
            let outputs = nodes[k].bias.count, per = nodes[k].weight.count / outputs
            let inScale = s.channelGroup[sourceValues[k][0]].map { $0 >= 0 ? factors[$0] : 1 }
            for o in 0..<outputs {
                let g = s.channelGroup[k + 1][o], lambda = g >= 0 ? factors[g] : 1
                out.nodes[k].bias[o] *= lambda
                for p in (o * per)..<((o + 1) * per) {
                    let mu = inScale[inputChannel(ofWeight: p, node: k)]
                    if lambda != mu { out.nodes[k].weight[p] = out.nodes[k].weight[p] * lambda / mu }
                }
            }
        }
        return out
    }

    /// Multiplies the group's incoming parameters by λ and divides its outgoing ones, in place. O(group size).
    mutating func scale(_ group: ChannelGroup, by lambda: Double) {
        for m in group.incoming {
            for p in incomingWeightIndices(m) { nodes[m.node].weight[p] *= lambda }
            nodes[m.node].bias[m.channel] *= lambda
        }
        for m in group.outgoing {
            for p in outgoingWeightIndices(m) { nodes[m.node].weight[p] /= lambda }
        }
    }
}
