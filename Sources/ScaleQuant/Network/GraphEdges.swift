// The edges of the path-lifting DAG of a graph (A. Gonon et al., arXiv 2310.01225, §2): one vertex per element of
// every value, an edge from each element a node reads to each element it writes.

extension GraphNetwork {
    /// The fixed coefficient of node n's parameter-free edges: 1/(window size) for average pooling, 1 otherwise
    /// (max pooling counted as sum pooling, ReLU as the identity, add, flatten).
    func edgeCoefficient(_ n: Int) -> Double {
        if case .avgPool2d(let p) = nodes[n].operation { return 1 / Double(p.windowSize) }
        return 1
    }

    /// The number of elements of node n's output per channel (H·W for `[C, H, W]`, 1 for `[F]`): element e of an
    /// affine node has bias index e / spatialSize.
    func spatialSize(ofValue v: Int) -> Int {
        let s = valueShape(v)
        return s.count == 3 ? s[1] * s[2] : 1
    }

    /// Calls `body(out, slot, in, parameter)` for every edge of node n, from element `in` of its input number
    /// `slot` (value `sourceValues[n][slot]`) to element `out` of its output. `parameter ≥ 0`: the edge weight is
    /// `nodes[n].weight[parameter]`; `parameter < 0`: it is ``edgeCoefficient(_:)``. Biases are not edges.
    /// Batch normalization has no edges here (path measures require folding it first).
    ///
    /// - Complexity: O(edges of the node): a convolution has O·(C/G)·kh·kw·OH·OW edges at most.
    @inline(__always)
    func forEachEdge(_ n: Int, _ body: (_ out: Int, _ slot: Int, _ in: Int, _ parameter: Int) -> Void) {
        let node = nodes[n]
        let inShape = valueShape(sourceValues[n][0])
        switch node.operation {
        case .conv2d(let g):
            let h = inShape[1], w = inShape[2], oh = node.outputShape[1], ow = node.outputShape[2]
            let ipg = g.inPerGroup, opg = g.outPerGroup
            for o in 0..<g.outChannels {
                let base = (o / opg) * ipg
                for ci in 0..<ipg {
                    let plane = (base + ci) * h * w
                    for u in 0..<g.kernelHeight {
                        let rows = validRange(kernelOffset: u, padding: g.paddingHeight, stride: g.strideHeight,
                                              inputSize: h, outputSize: oh)
                        for v in 0..<g.kernelWidth {
                            let cols = validRange(kernelOffset: v, padding: g.paddingWidth, stride: g.strideWidth,
                                                  inputSize: w, outputSize: ow)
                            let p = g.weightIndex(o, ci, u, v)
                            for i in rows {
                                let inRow = plane + (i * g.strideHeight + u - g.paddingHeight) * w - g.paddingWidth + v
                                let outRow = (o * oh + i) * ow
                                for j in cols { body(outRow + j, 0, inRow + j * g.strideWidth, p) }
                            }
                        }
                    }
                }
            }
        case .linear(let fin, let fout):
            for o in 0..<fout { for i in 0..<fin { body(o, 0, i, o * fin + i) } }
        case .relu, .flatten:
            for e in 0..<inShape.reduce(1, *) { body(e, 0, e, -1) }
        case .add:
            for e in 0..<inShape.reduce(1, *) { body(e, 0, e, -1); body(e, 1, e, -1) }
        case .maxPool2d(let p), .avgPool2d(let p):
            let h = inShape[1], w = inShape[2], oh = node.outputShape[1], ow = node.outputShape[2]
            for c in 0..<inShape[0] {
                for i in 0..<oh {
                    for j in 0..<ow {
                        let out = (c * oh + i) * ow + j
                        for u in 0..<p.kernelHeight {
                            let row = (c * h + i * p.strideHeight + u) * w + j * p.strideWidth
                            for v in 0..<p.kernelWidth { body(out, 0, row + v, -1) }
                        }
                    }
                }
            }
        case .batchNorm2d:
            break
        }
    }
}
