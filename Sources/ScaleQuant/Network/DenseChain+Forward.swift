extension DenseChain {
    /// The network function on a batch: `input` is row-major `batch × inputSize`, the result row-major
    /// `batch × outputSize`.
    ///
    /// Each layer is a blocked matrix product (four samples share each pass over a weight row, rows of `W` and of
    /// the batch are contiguous) followed by the bias and, except after the last layer, ReLU. Batches with enough
    /// work are split into up to eight blocks run in parallel.
    ///
    /// - Complexity: O(batch · Σ_ℓ in_ℓ·out_ℓ).
    /// - Precondition: `input.count == batch · inputSize`.
    func forward(_ input: [Double], batch: Int) -> [Double] {
        precondition(input.count == batch * inputSize, "forward: input has \(input.count) values, expected \(batch)×\(inputSize)")
        var current = input
        for (l, layer) in layers.enumerated() {
            var next = [Double](repeating: 0, count: batch * layer.outputs)
            let relu = l < layers.count - 1
            current.withUnsafeBufferPointer { x in
                next.withUnsafeMutableBufferPointer { y in
                    layer.weight.withUnsafeBufferPointer { w in
                        layer.bias.withUnsafeBufferPointer { b in
                            let px = UncheckedBox(x), py = UncheckedBox(y)
                            let work = batch * layer.weight.count
                            let blocks = work > (1 << 18) ? max(1, min(8, batch / 4)) : 1
                            let per = (batch + blocks - 1) / blocks
                            parallelFor(blocks) { k in
                                let lo = k * per, hi = min(batch, lo + per)
                                if lo < hi {
                                    denseRows(w, b, px.value, py.value, rows: lo..<hi,
                                              inputs: layer.inputs, outputs: layer.outputs, relu: relu)
                                }
                            }
                        }
                    }
                }
            }
            current = next
        }
        return current
    }

    /// The network function on one input vector. O(parameters).
    func callAsFunction(_ x: [Double]) -> [Double] { forward(x, batch: 1) }
}
