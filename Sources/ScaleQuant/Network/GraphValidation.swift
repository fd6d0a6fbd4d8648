extension GraphNetwork {
    /// Checks one node against the shapes of its inputs and returns its output shape. O(parameters of the node).
    ///
    /// - Throws: ``GraphError/invalidNode(node:reason:)`` naming the node and the problem.
    static func validate(_ node: GraphNode, inputShapes: [[Int]]) throws -> [Int] {
        func fail(_ reason: String) -> GraphError { .invalidNode(node: node.name, reason: reason) }
        let x = inputShapes[0]
        func requireImage() throws -> (c: Int, h: Int, w: Int) {
            guard x.count == 3 else {
                throw fail("\(node.operation.kind) needs a [C, H, W] input, got \(x)")
            }
            return (x[0], x[1], x[2])
        }
        func requireNoParameters() throws {
            guard node.weight.isEmpty, node.bias.isEmpty else { throw fail("\(node.operation.kind) has no parameters") }
        }
        let limit = 1 << 24
        switch node.operation {
        case .conv2d(let g):
            let (c, h, w) = try requireImage()
            for (what, v) in [("in_channels", g.inChannels), ("out_channels", g.outChannels),
                              ("kernel_size", max(g.kernelHeight, g.kernelWidth)),
                              ("stride", max(g.strideHeight, g.strideWidth)),
                              ("padding", max(g.paddingHeight, g.paddingWidth)), ("groups", g.groups)] where v > limit {
                throw fail("\(what) = \(v) is unreasonably large (limit \(limit))")
            }
            guard g.inChannels > 0, g.outChannels > 0, g.kernelHeight > 0, g.kernelWidth > 0 else {
                throw fail("channels and kernel sizes must be positive")
            }
            guard g.strideHeight > 0, g.strideWidth > 0, g.paddingHeight >= 0, g.paddingWidth >= 0 else {
                throw fail("strides must be positive and paddings non-negative")
            }
            guard g.groups > 0, g.inChannels % g.groups == 0, g.outChannels % g.groups == 0 else {
                throw fail("groups = \(g.groups) must divide in_channels \(g.inChannels) and out_channels "
                           + "\(g.outChannels)")
            }
            guard g.inChannels == c else { throw fail("in_channels is \(g.inChannels) but the input has \(c) channels") }
            let hp = h + 2 * g.paddingHeight, wp = w + 2 * g.paddingWidth
            guard hp >= g.kernelHeight, wp >= g.kernelWidth else {
                throw fail("kernel \(g.kernelHeight)×\(g.kernelWidth) is larger than the padded input \(hp)×\(wp)")
            }
            guard node.weight.count == g.weightCount else {
                throw fail("weight has \(node.weight.count) values, expected [\(g.outChannels), \(g.inPerGroup), "
                           + "\(g.kernelHeight), \(g.kernelWidth)] = \(g.weightCount)")
            }
            guard node.bias.count == g.outChannels else {
                throw fail("bias has \(node.bias.count) values, expected \(g.outChannels)")
            }
            try checkFinite(node.weight, node: node.name, tensor: "weight")
            try checkFinite(node.bias, node: node.name, tensor: "bias")
            return [g.outChannels, (hp - g.kernelHeight) / g.strideHeight + 1, (wp - g.kernelWidth) / g.strideWidth + 1]
        case .linear(let n, let m):
            guard x.count == 1 else { throw fail("linear needs a [F] input (flatten first), got \(x)") }
            guard n <= limit, m <= limit, NDArray.elementCount(of: [n, m]) != nil else {
                throw fail("in_features × out_features = \(n) × \(m) is unreasonably large")
            }
            guard n > 0, m > 0 else { throw fail("in_features and out_features must be positive") }
            guard n == x[0] else { throw fail("in_features is \(n) but the input has \(x[0]) features") }
            guard node.weight.count == n * m else {
                throw fail("weight has \(node.weight.count) values, expected [\(m), \(n)]")
            }
            guard node.bias.count == m else { throw fail("bias has \(node.bias.count) values, expected \(m)") }
            try checkFinite(node.weight, node: node.name, tensor: "weight")
            try checkFinite(node.bias, node: node.name, tensor: "bias")
            return [m]
        case .relu:
            try requireNoParameters()
            return x
        case .maxPool2d(let p), .avgPool2d(let p):
            try requireNoParameters()
            let (c, h, w) = try requireImage()
            guard max(p.kernelHeight, p.kernelWidth, p.strideHeight, p.strideWidth) <= limit else {
                throw fail("pooling kernel or stride is unreasonably large (limit \(limit))")
            }
            guard p.kernelHeight > 0, p.kernelWidth > 0, p.strideHeight > 0, p.strideWidth > 0 else {
                throw fail("pooling kernel and stride must be positive")
            }
            guard h >= p.kernelHeight, w >= p.kernelWidth else {
                throw fail("window \(p.kernelHeight)×\(p.kernelWidth) is larger than the input \(h)×\(w)")
            }
            return [c, (h - p.kernelHeight) / p.strideHeight + 1, (w - p.kernelWidth) / p.strideWidth + 1]
        case .flatten:
            try requireNoParameters()
            return [x.reduce(1, *)]
        case .add:
            try requireNoParameters()
            guard inputShapes[1] == x else {
                throw fail("add needs inputs of equal shape, got \(x) and \(inputShapes[1])")
            }
            return x
        case .batchNorm2d(let b):
            try requireNoParameters()
            let c = x[0]
            for (field, v) in [("weight", b.gamma), ("bias", b.beta), ("running_mean", b.runningMean),
                               ("running_var", b.runningVariance)] {
                guard v.count == c else { throw fail("\(field) has \(v.count) values, expected \(c) (channels)") }
                try checkFinite(v, node: node.name, tensor: field)
            }
            guard b.eps > 0, b.eps.isFinite else { throw fail("eps must be positive and finite, got \(b.eps)") }
            if let i = b.runningVariance.firstIndex(where: { !($0 + b.eps > 0) }) {
                throw fail("running_var[\(i)] + eps = \(b.runningVariance[i] + b.eps) is not positive")
            }
            return x
        }
    }
}
