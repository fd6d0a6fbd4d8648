// The identity-activation passes behind every path measure of a graph (A. Gonon, N. Brisebarre, E. Riccietti,
// R. Gribonval, arXiv 2310.01225 and 2405.15006): ReLU is the identity, max-pooling a sum, average pooling a sum
// with coefficient 1/k on each edge, add a sum, the input all ones, and each conv/linear bias starts a path.

extension GraphPathLifting {
    /// Forward sums over in-paths: for every value element, Σ over its in-paths of the product of f(w, w') over
    /// the edges (f(c, c) for a pooling/add coefficient c) times f(b, b') for a path starting at a bias b (1 for a
    /// path starting at an input). Returns one array per value (index 0: the input, all ones).
    ///
    /// - Complexity: O(edges), i.e. O(Σ_conv O·(C/G)·kh·kw·OH·OW + Σ_linear in·out + Σ elements).
    static func forwardSums(_ a: GraphNetwork, _ b: GraphNetwork,
                            _ f: (Double, Double) -> Double) -> [[Double]] {
        var values: [[Double]] = [[Double](repeating: 1, count: a.inputSize)]
        values.reserveCapacity(a.valueCount)
        for n in a.nodes.indices {
            let node = a.nodes[n], other = b.nodes[n]
            var out = [Double](repeating: 0, count: a.valueSize(n + 1))
            if node.operation.isAffine {
                let spatial = a.spatialSize(ofValue: n + 1)
                for e in out.indices { out[e] = f(node.bias[e / spatial], other.bias[e / spatial]) }
            }
            let tw = zip(node.weight, other.weight).map(f)
            let c = a.edgeCoefficient(n), tc = f(c, c)
            let src = a.sourceValues[n]
            let s0 = values[src[0]], s1 = values[src[src.count - 1]]
            // Unsafe buffers in the per-edge closure (bounds checks there cost a quarter of the pass).
            out.withUnsafeMutableBufferPointer { o in
                tw.withUnsafeBufferPointer { t in
                    s0.withUnsafeBufferPointer { x0 in
                        s1.withUnsafeBufferPointer { x1 in
                            a.forEachEdge(n) { e, slot, i, p in
                                o[e] += (p >= 0 ? t[p] : tc) * (slot == 0 ? x0[i] : x1[i])
                            }
                        }
                    }
                }
            }
            values.append(out)
        }
        return values
    }

    /// Backward sums over out-paths: for every value element, Σ over its out-paths (to an output element) of the
    /// product of f(w, w') over the edges (1 for an output element itself). One array per value.
    ///
    /// - Complexity: O(edges).
    static func backwardSums(_ a: GraphNetwork, _ b: GraphNetwork,
                             _ f: (Double, Double) -> Double) -> [[Double]] {
        // One flat buffer for all values (value v at offset[v]): the per-edge update then writes through a
        // pointer instead of into an array of arrays (a uniqueness check and two bounds checks per edge).
        var offset = [0]
        for v in 0..<a.valueCount { offset.append(offset[v] + a.valueSize(v)) }
        var flat = [Double](repeating: 0, count: offset[a.valueCount])
        for i in offset[a.valueCount - 1]..<offset[a.valueCount] { flat[i] = 1 }
        flat.withUnsafeMutableBufferPointer { u in
            let base = u.baseAddress!
            for n in a.nodes.indices.reversed() {
                let tw = zip(a.nodes[n].weight, b.nodes[n].weight).map(f)
                let c = a.edgeCoefficient(n), tc = f(c, c)
                let src = a.sourceValues[n]
                let out = UnsafePointer(base + offset[n + 1])
                let d0 = base + offset[src[0]], d1 = base + offset[src[src.count - 1]]
                tw.withUnsafeBufferPointer { t in
                    a.forEachEdge(n) { e, slot, i, p in
                        (slot == 0 ? d0 : d1)[i] += (p >= 0 ? t[p] : tc) * out[e]
                    }
                }
            }
        }
        return (0..<a.valueCount).map { Array(flat[offset[$0]..<offset[$0 + 1]]) }
    }

    /// Sum of the last value of ``forwardSums(_:_:_:)``: Σ over all paths of Π f. O(edges).
    static func totalSum(_ a: GraphNetwork, _ b: GraphNetwork, _ f: (Double, Double) -> Double) -> Double {
        forwardSums(a, b, f)[a.valueCount - 1].reduce(0, +)
    }
}
