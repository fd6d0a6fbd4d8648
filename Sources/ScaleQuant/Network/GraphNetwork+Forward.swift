extension GraphNetwork {
    /// The network function on a batch: `input` is `batch × inputSize` (NCHW flattened, contiguous), the result
    /// `batch × outputSize`.
    ///
    /// The batch is cut into up to eight slices that run in parallel (``parallelFor(_:schedule:threads:_:)``); each
    /// slice evaluates the nodes in order with the plain per-sample kernels of `GraphKernels.swift` (convolutions
    /// loop along contiguous output rows). Intermediate values are released after their last reader.
    ///
    /// - Complexity: O(batch · Σ_nodes cost), the cost of a convolution being O·(C/groups)·kh·kw·OH·OW.
    /// - Throws: ``GraphError/invalidArgument(_:)`` if `input.count != batch · inputSize` or `batch < 0`.
    public func forward(_ input: [Double], batch: Int) throws -> [Double] {
        guard batch >= 0, input.count == batch * inputSize else {
            throw GraphError.invalidArgument("forward: input has \(input.count) values, expected \(batch) × "
                                             + "\(inputSize) (shape \(inputShape) per sample)")
        }
        if batch == 0 { return [] }
        var output = [Double](repeating: 0, count: batch * outputSize)
        let chunks = min(batch, 8), per = (batch + chunks - 1) / chunks
        let inSize = inputSize, outSize = outputSize
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                let px = UncheckedBox(x), py = UncheckedBox(y)
                parallelFor(chunks) { k in
                    let lo = k * per, hi = min(batch, lo + per)
                    guard lo < hi, let xb = px.value.baseAddress, let yb = py.value.baseAddress else { return }
                    evaluate(xb + lo * inSize, samples: hi - lo, into: yb + lo * outSize)
                }
            }
        }
        return output
    }

    /// The network function on one sample.
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` if `x.count != inputSize`.
    public func callAsFunction(_ x: [Double]) throws -> [Double] { try forward(x, batch: 1) }

    /// Evaluates `n` samples starting at `x` and writes the outputs at `y`.
    func evaluate(_ x: UnsafePointer<Double>, samples n: Int, into y: UnsafeMutablePointer<Double>) {
        let values = evaluateValues(x, samples: n, keepAll: false)
        values[valueCount - 1].withUnsafeBufferPointer { r in
            if let base = r.baseAddress { y.update(from: base, count: r.count) }
        }
    }

    /// Every value (the input and each node's output, `batch × valueSize(v)` each) on a batch, on one thread: the
    /// starting point of incremental evaluation (``GraphCalibrationState``).
    ///
    /// - Throws: ``GraphError/invalidArgument(_:)`` if `input.count != batch · inputSize`.
    func allValues(_ input: [Double], batch: Int) throws -> [[Double]] {
        guard batch > 0, input.count == batch * inputSize else {
            throw GraphError.invalidArgument("input has \(input.count) values, expected \(batch) × \(inputSize) "
                                             + "(shape \(inputShape) per sample)")
        }
        return input.withUnsafeBufferPointer { evaluateValues($0.baseAddress!, samples: batch, keepAll: true) }
    }

    /// The values of `n` samples starting at `x`; unless `keepAll`, each is released after its last reader (only
    /// the output is then left).
    private func evaluateValues(_ x: UnsafePointer<Double>, samples n: Int, keepAll: Bool) -> [[Double]] {
        var values = [[Double]](repeating: [], count: valueCount)
        var lastUse = [Int](repeating: -1, count: valueCount)
        for (k, s) in sourceValues.enumerated() { for v in s { lastUse[v] = k } }
        values[0] = Array(UnsafeBufferPointer(start: x, count: n * inputSize))
        for k in nodes.indices {
            values[k + 1] = nodeOutput(k, values: values, samples: n)
            if !keepAll { for v in Set(sourceValues[k]) where lastUse[v] == k { values[v] = [] } }
        }
        return values
    }

    /// The output of node k on `n` samples, from `values` (indexed like ``valueCount``; its sources filled in).
    func nodeOutput(_ k: Int, values: [[Double]], samples n: Int) -> [Double] {
        let src = sourceValues[k], node = nodes[k]
        var out = [Double](repeating: 0, count: n * valueSize(k + 1))
        if node.operation == .add {
            let a = values[src[0]], b = values[src[1]]
            for i in out.indices { out[i] = a[i] + b[i] }
        } else {
            apply(node, inputShape: valueShape(src[0]), samples: n, values[src[0]], &out)
        }
        return out
    }

    /// The output of single-input node k on `n` samples of its input `x`.
    func nodeOutput(_ k: Int, input x: [Double], samples n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * valueSize(k + 1))
        apply(nodes[k], inputShape: valueShape(sourceValues[k][0]), samples: n, x, &out)
        return out
    }

    /// One single-input node on `n` samples.
    private func apply(_ node: GraphNode, inputShape s: [Int], samples n: Int, _ x: [Double], _ y: inout [Double]) {
        let inSize = s.reduce(1, *), outSize = node.outputShape.reduce(1, *)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                node.weight.withUnsafeBufferPointer { wb in
                    node.bias.withUnsafeBufferPointer { bb in
                        guard let xp = xb.baseAddress, let yp = yb.baseAddress else { return }
                        switch node.operation {
                        case .conv2d(let g):
                            guard let wp = wb.baseAddress, let bp = bb.baseAddress else { return }
                            for r in 0..<n {
                                convolveSample(xp + r * inSize, yp + r * outSize, weight: wp, bias: bp, g,
                                               inputHeight: s[1], inputWidth: s[2], outputHeight: node.outputShape[1],
                                               outputWidth: node.outputShape[2])
                            }
                        case .linear(let fin, let fout):
                            denseRows(wb, bb, xb, yb, rows: 0..<n, inputs: fin, outputs: fout,
                                      relu: false)
                        case .relu:
                            for i in 0..<(n * inSize) { yp[i] = xp[i] > 0 ? xp[i] : 0 }
                        case .maxPool2d(let p), .avgPool2d(let p):
                            let average = node.operation == .avgPool2d(p)
                            for r in 0..<n {
                                poolSample(xp + r * inSize, yp + r * outSize, p, average: average, channels: s[0],
                                           inputHeight: s[1], inputWidth: s[2], outputHeight: node.outputShape[1],
                                           outputWidth: node.outputShape[2])
                            }
                        case .flatten:
                            yp.update(from: xp, count: n * inSize)
                        case .batchNorm2d(let b):
                            let (scale, shift) = b.affine
                            let spatial = inSize / s[0]
                            for r in 0..<n {
                                for c in 0..<s[0] {
                                    let base = r * inSize + c * spatial
                                    for i in base..<(base + spatial) { yp[i] = xp[i] * scale[c] + shift[c] }
                                }
                            }
                        case .add:
                            break
                        }
                    }
                }
            }
        }
    }
}
