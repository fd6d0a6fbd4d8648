extension ReLUNetwork {
    /// The network function on a batch: `input` is row-major `batch × inputSize`, the result row-major
    /// `batch × outputSize`.
    ///
    /// Each layer is a blocked matrix product (four samples share each pass over a weight row, rows of `W` and of
    /// the batch are contiguous) followed by the bias and, except after the last layer, ReLU. Batches with enough
    /// work are split into up to eight blocks run in parallel.
    ///
    /// - Complexity: O(batch · Σ_ℓ in_ℓ·out_ℓ).
    /// - Precondition: `input.count == batch · inputSize`.
    public func forward(_ input: [Double], batch: Int) -> [Double] {
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
                                    denseKernel(w, b, px.value, py.value, rows: lo..<hi,
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
    public func callAsFunction(_ x: [Double]) -> [Double] { forward(x, batch: 1) }
}

/// y[r, o] = act(Σ_i W[o, i] x[r, i] + b[o]) for r in `rows`; four rows at a time.
@inline(__always)
private func denseKernel(_ w: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                         _ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>,
                         rows: Range<Int>, inputs n: Int, outputs m: Int, relu: Bool) {
    guard let wp = w.baseAddress, let xp = x.baseAddress, let yp = y.baseAddress else { return }
    var r = rows.lowerBound
    while r + 4 <= rows.upperBound {
        let x0 = xp + r * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n
        for o in 0..<m {
            let row = wp + o * n
            var s0 = b[o], s1 = b[o], s2 = b[o], s3 = b[o]
            for i in 0..<n {
                let wi = row[i]
                s0 += wi * x0[i]; s1 += wi * x1[i]; s2 += wi * x2[i]; s3 += wi * x3[i]
            }
            if relu { s0 = max(s0, 0); s1 = max(s1, 0); s2 = max(s2, 0); s3 = max(s3, 0) }
            yp[r * m + o] = s0; yp[(r + 1) * m + o] = s1; yp[(r + 2) * m + o] = s2; yp[(r + 3) * m + o] = s3
        }
        r += 4
    }
    while r < rows.upperBound {
        let x0 = xp + r * n
        for o in 0..<m {
            let row = wp + o * n
            var s = b[o]
            for i in 0..<n { s += row[i] * x0[i] }
            yp[r * m + o] = relu ? max(s, 0) : s
        }
        r += 1
    }
}
