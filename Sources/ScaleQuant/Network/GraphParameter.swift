/// A parameter of a graph: weight `index` of node `node`, or (when `isBias`) the bias of output channel `index`.
struct GraphParameter: Hashable, Sendable {
    /// The node index.
    var node: Int
    /// The weight index, or the output channel for a bias.
    var index: Int
    /// Whether this is a bias.
    var isBias: Bool

    /// The value of this parameter in `g`.
    func value(in g: GraphNetwork) -> Double { isBias ? g.nodes[node].bias[index] : g.nodes[node].weight[index] }

    /// Sets this parameter in `g`.
    func set(_ v: Double, in g: inout GraphNetwork) {
        if isBias { g.nodes[node].bias[index] = v } else { g.nodes[node].weight[index] = v }
    }

    /// Every parameter of node n of `g`: its weights, then its biases. O(parameters of the node).
    static func all(ofNode n: Int, in g: GraphNetwork) -> [GraphParameter] {
        g.nodes[n].weight.indices.map { GraphParameter(node: n, index: $0, isBias: false) }
            + g.nodes[n].bias.indices.map { GraphParameter(node: n, index: $0, isBias: true) }
    }
}
