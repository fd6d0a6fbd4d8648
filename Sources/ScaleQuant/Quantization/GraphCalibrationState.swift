// Incremental evaluation of a graph on a calibration batch: the objective of the data-aware graph quantizer.

/// The values of every node of a batch-norm-free graph on a fixed batch of calibration inputs, and the squared
/// output error against a target, kept up to date while single parameters change.
///
/// Why incremental: ``GraphDataAwareQuantizer`` evaluates the calibration error once per piece of a channel
/// group's rescaling family, thousands of times per group, and each piece moves one parameter by one grid step. A
/// change of weight w[o, c, u, v] of a convolution changes only output channel o (by Δw times a shifted input
/// channel); the change is pushed forward channel by channel: through conv2d/linear nodes as W·Δ (they are
/// affine), through average pooling as the mean of Δ, through ReLU and max pooling by recomputing the changed
/// channels, through flatten as a relabelling and through add as a sum. Channels whose change is exactly zero stop
/// there (a ReLU channel that stays dead). Changes are kept in channel order, so the arithmetic, and hence every
/// result, is deterministic.
///
/// - Complexity: one change costs the forward pass restricted to the channels it reaches: for a convolution
///   reading c changed channels, O(c · outputs per group · kh·kw · OH·OW · samples).
struct GraphCalibrationState: Sendable {
    /// One changed channel of a value: its index and the change, `plane × samples` (element-major: the samples of
    /// one element are contiguous).
    typealias Change = (channel: Int, delta: [Double])

    /// The graph with its current parameters.
    private(set) var graph: GraphNetwork
    /// The number of calibration samples.
    let samples: Int
    /// `values[v]`: value v (0 the input, k + 1 node k's output) on the batch, element-major: element e of sample s
    /// at `e · samples + s`, so that every loop below runs over the samples, contiguously.
    private(set) var values: [[Double]]
    /// The target outputs, element-major like `values`.
    let target: [Double]
    /// Σ over samples and elements of (output − target)², per output channel (per feature for `[F]` outputs).
    private var channelError: [Double]

    /// Σ over samples and outputs of (output − target)²: the squared Frobenius error on the batch.
    var error: Double { channelError.reduce(0, +) }

    /// Evaluates `graph` on `inputs` (`samples × inputSize`) once, fully; `target` is `samples × outputSize`.
    ///
    /// - Throws: ``GraphError/unsupported(_:)`` with batch normalization (fold it first);
    ///   ``GraphError/invalidArgument(_:)`` if the inputs or the target do not match the graph.
    init(graph: GraphNetwork, inputs: [Double], samples: Int, target: [Double]) throws {
        try graph.requireNoBatchNorm("incremental calibration")
        guard target.count == samples * graph.outputSize else {
            throw GraphError.invalidArgument("calibration target has \(target.count) values, expected \(samples) × "
                                             + "\(graph.outputSize)")
        }
        func transposed(_ a: [Double], size: Int) -> [Double] {
            var out = [Double](repeating: 0, count: a.count)
            for s in 0..<samples { for e in 0..<size { out[e * samples + s] = a[s * size + e] } }
            return out
        }
        self.graph = graph
        self.samples = samples
        self.target = transposed(target, size: graph.outputSize)
        values = try graph.allValues(inputs, batch: samples).enumerated().map {
            transposed($0.element, size: graph.valueSize($0.offset))
        }
        let last = graph.valueCount - 1
        channelError = [Double](repeating: 0, count: graph.valueShape(last)[0])
        for c in channelError.indices { channelError[c] = outputError(channel: c) }
    }

    /// Σ over samples of the squared error of one output channel, from the current values. O(samples · plane).
    private func outputError(channel c: Int) -> Double {
        let last = graph.valueCount - 1, block = graph.spatialSize(ofValue: last) * samples
        return values[last].withUnsafeBufferPointer { y in
            target.withUnsafeBufferPointer { t in
                var sum = 0.0
                for i in (c * block)..<((c + 1) * block) { let d = y[i] - t[i]; sum += d * d }
                return sum
            }
        }
    }

    /// Sets one parameter and brings every value and the error up to date.
    mutating func set(_ p: GraphParameter, _ value: Double) {
        let d = value - p.value(in: graph)
        p.set(value, in: &graph)
        guard d != 0 else { return }
        let n = p.node, out = n + 1, src = graph.sourceValues[n][0], N = samples
        let block = graph.spatialSize(ofValue: out) * N
        var delta = [Double](repeating: 0, count: block)
        let channel: Int
        switch graph.nodes[n].operation {
        case .conv2d(let g):
            if p.isBias {
                channel = p.index
                delta = [Double](repeating: d, count: block)
            } else {
                let ka = g.kernelArea, o = p.index / (g.inPerGroup * ka), ci = (p.index / ka) % g.inPerGroup
                let u = (p.index % ka) / g.kernelWidth, v = p.index % g.kernelWidth
                let c = (o / g.outPerGroup) * g.inPerGroup + ci
                channel = o
                let geometry = ShiftGeometry(g, inputShape: graph.valueShape(src), outputShape: graph.valueShape(out),
                                             u: u, v: v)
                let inBlock = graph.spatialSize(ofValue: src) * N
                values[src].withUnsafeBufferPointer { x in
                    delta.withUnsafeMutableBufferPointer { y in
                        geometry.add(d, from: x.baseAddress! + c * inBlock, to: y.baseAddress!, lanes: N)
                    }
                }
            }
        case .linear(let fin, _):
            channel = p.isBias ? p.index : p.index / fin
            if p.isBias {
                delta = [Double](repeating: d, count: N)
            } else {
                let i = p.index % fin
                values[src].withUnsafeBufferPointer { x in for s in 0..<N { delta[s] = d * x[i &* N &+ s] } }
            }
        default:
            return
        }
        var changes = [[Change]](repeating: [], count: graph.valueCount)
        add([(channel, delta)], to: out, &changes)
        for m in (n + 1)..<graph.nodes.count { propagate(m, &changes) }
        for change in changes[graph.valueCount - 1] { channelError[change.channel] = outputError(channel: change.channel) }
    }

    /// Adds changes to value v and records the non-zero ones.
    private mutating func add(_ list: [Change], to v: Int, _ changes: inout [[Change]]) {
        let block = graph.spatialSize(ofValue: v) * samples
        values[v].withUnsafeMutableBufferPointer { y in
            for (c, delta) in list {
                delta.withUnsafeBufferPointer { d in
                    let base = y.baseAddress! + c * block
                    for i in 0..<block { base[i] += d[i] }
                }
            }
        }
        changes[v] = list.filter { $0.delta.contains { $0 != 0 } }
    }

    /// Pushes the changes of node m's inputs through node m.
    private mutating func propagate(_ m: Int, _ changes: inout [[Change]]) {
        let sources = graph.sourceValues[m]
        guard sources.contains(where: { !changes[$0].isEmpty }) else { return }
        let node = graph.nodes[m], out = m + 1, src = sources[0], N = samples
        let outBlock = graph.spatialSize(ofValue: out) * N, inPlane = graph.spatialSize(ofValue: src)
        switch node.operation {
        case .conv2d(let g):
            var acc = [[Double]?](repeating: nil, count: g.outChannels)
            let inShape = graph.valueShape(src), outShape = graph.valueShape(out)
            let shifts = (0..<g.kernelArea).map {
                ShiftGeometry(g, inputShape: inShape, outputShape: outShape, u: $0 / g.kernelWidth, v: $0 % g.kernelWidth)
            }
            for (c, delta) in changes[src] {
                let group = c / g.inPerGroup, ci = c - group * g.inPerGroup
                for o in (group * g.outPerGroup)..<((group + 1) * g.outPerGroup) {
                    var buffer = acc[o] ?? [Double](repeating: 0, count: outBlock)
                    acc[o] = nil
                    delta.withUnsafeBufferPointer { x in
                        buffer.withUnsafeMutableBufferPointer { y in
                            for (k, shift) in shifts.enumerated() {
                                let w = node.weight[g.weightIndex(o, ci, 0, 0) + k]
                                if w != 0 { shift.add(w, from: x.baseAddress!, to: y.baseAddress!, lanes: N) }
                            }
                        }
                    }
                    acc[o] = buffer
                }
            }
            add(acc.enumerated().compactMap { o, d in d.map { (o, $0) } }, to: out, &changes)
        case .linear(let fin, let fout):
            var acc = [[Double]?](repeating: nil, count: fout)
            for (i, delta) in changes[src] {
                for o in 0..<fout {
                    let w = node.weight[o * fin + i]
                    guard w != 0 else { continue }
                    var buffer = acc[o] ?? [Double](repeating: 0, count: N)
                    acc[o] = nil
                    delta.withUnsafeBufferPointer { x in
                        buffer.withUnsafeMutableBufferPointer { y in for s in 0..<N { y[s] += w * x[s] } }
                    }
                    acc[o] = buffer
                }
            }
            add(acc.enumerated().compactMap { o, d in d.map { (o, $0) } }, to: out, &changes)
        case .relu:
            changes[out] = changes[src].compactMap { recomputeReLU(node: m, channel: $0.channel) }
        case .maxPool2d(let p):
            changes[out] = changes[src].compactMap { recomputeMaxPool(p, node: m, channel: $0.channel) }
        case .avgPool2d(let p):
            // Average pooling is linear: the change of the output is the pooled change.
            let iw = graph.valueShape(src)[2], oh = node.outputShape[1], ow = node.outputShape[2]
            let list = changes[src].map { (c, delta) -> Change in
                var d = [Double](repeating: 0, count: outBlock)
                delta.withUnsafeBufferPointer { x in
                    d.withUnsafeMutableBufferPointer { y in
                        poolChannel(p, average: true, from: x.baseAddress!, to: y.baseAddress!, inputWidth: iw,
                                    outputHeight: oh, outputWidth: ow, lanes: N)
                    }
                }
                return (c, d)
            }
            add(list, to: out, &changes)
        case .flatten:
            var list: [Change] = []
            for (c, delta) in changes[src] {
                for e in 0..<inPlane {
                    let d = Array(delta[(e * N)..<((e + 1) * N)])
                    if d.contains(where: { $0 != 0 }) { list.append((c * inPlane + e, d)) }
                }
            }
            add(list, to: out, &changes)
        case .add:
            var merged: [Int: [Double]] = [:]
            for v in sources {
                for (c, delta) in changes[v] {
                    if let d = merged[c] { merged[c] = zip(d, delta).map { $0 + $1 } } else { merged[c] = delta }
                }
            }
            add(merged.keys.sorted().map { ($0, merged[$0]!) }, to: out, &changes)
        case .batchNorm2d:
            break
        }
    }

    /// Recomputes channel c of ReLU node m's output from its updated input; the change, or `nil` if none.
    private mutating func recomputeReLU(node m: Int, channel c: Int) -> Change? {
        let src = graph.sourceValues[m][0], block = graph.spatialSize(ofValue: m + 1) * samples
        var delta = [Double](repeating: 0, count: block)
        var changed = false
        values[src].withUnsafeBufferPointer { xb in
            values[m + 1].withUnsafeMutableBufferPointer { yb in
                delta.withUnsafeMutableBufferPointer { db in
                    let x = xb.baseAddress! + c * block, y = yb.baseAddress! + c * block, d = db.baseAddress!
                    for i in 0..<block {
                        let new = x[i] > 0 ? x[i] : 0
                        d[i] = new - y[i]
                        y[i] = new
                    }
                    for i in 0..<block where d[i] != 0 { changed = true; break }
                }
            }
        }
        return changed ? (c, delta) : nil
    }

    /// Recomputes channel c of max-pooling node m's output from its updated input; the change, or `nil` if none.
    private mutating func recomputeMaxPool(_ p: PoolGeometry, node m: Int, channel c: Int) -> Change? {
        let src = graph.sourceValues[m][0], N = samples
        let iw = graph.valueShape(src)[2], oh = graph.nodes[m].outputShape[1], ow = graph.nodes[m].outputShape[2]
        let inBlock = graph.spatialSize(ofValue: src) * N, block = oh * ow * N
        var new = [Double](repeating: 0, count: block)
        values[src].withUnsafeBufferPointer { xb in
            new.withUnsafeMutableBufferPointer { yb in
                poolChannel(p, average: false, from: xb.baseAddress! + c * inBlock, to: yb.baseAddress!, inputWidth: iw,
                            outputHeight: oh, outputWidth: ow, lanes: N)
            }
        }
        var delta = [Double](repeating: 0, count: block)
        var changed = false
        values[m + 1].withUnsafeMutableBufferPointer { yb in
            let y = yb.baseAddress! + c * block
            for i in 0..<block where new[i] != y[i] { changed = true; delta[i] = new[i] - y[i]; y[i] = new[i] }
        }
        return changed ? (c, delta) : nil
    }
}

/// Max or average pooling of one channel stored element-major with `lanes` samples per element: y = pool(x) over
/// every output position (no padding). O(OH·OW·window·lanes).
func poolChannel(_ p: PoolGeometry, average: Bool, from x: UnsafePointer<Double>, to y: UnsafeMutablePointer<Double>,
                 inputWidth iw: Int, outputHeight oh: Int, outputWidth ow: Int, lanes n: Int) {
    let scale = 1 / Double(p.windowSize)
    for i in 0..<oh {
        for j in 0..<ow {
            let yo = (i &* ow &+ j) &* n
            for u in 0..<p.kernelHeight {
                for v in 0..<p.kernelWidth {
                    let xo = ((i &* p.strideHeight &+ u) &* iw &+ j &* p.strideWidth &+ v) &* n
                    if u == 0 && v == 0 {
                        for s in 0..<n { y[yo &+ s] = x[xo &+ s] }
                    } else if average {
                        for s in 0..<n { y[yo &+ s] += x[xo &+ s] }
                    } else {
                        for s in 0..<n { y[yo &+ s] = max(y[yo &+ s], x[xo &+ s]) }
                    }
                }
            }
            if average { for s in 0..<n { y[yo &+ s] *= scale } }
        }
    }
}

/// Where a kernel offset (u, v) of a convolution reads: the valid output rows and columns and the input offset of
/// output (0, 0), so that y[i, j] += w · x[i·sh + u − ph, j·sw + v − pw] over one channel is a few loops.
struct ShiftGeometry {
    let rows: Range<Int>, cols: Range<Int>
    let rowStep: Int, colStride: Int, outputWidth: Int, offset: Int

    /// The geometry of offset (u, v) of convolution g from an input `[C, H, W]` to an output `[O, OH, OW]`.
    init(_ g: Conv2DGeometry, inputShape: [Int], outputShape: [Int], u: Int, v: Int) {
        let h = inputShape[1], w = inputShape[2], oh = outputShape[1], ow = outputShape[2]
        rows = validRange(kernelOffset: u, padding: g.paddingHeight, stride: g.strideHeight, inputSize: h, outputSize: oh)
        cols = validRange(kernelOffset: v, padding: g.paddingWidth, stride: g.strideWidth, inputSize: w, outputSize: ow)
        rowStep = g.strideHeight * w
        colStride = g.strideWidth
        outputWidth = ow
        offset = (u - g.paddingHeight) * w + (v - g.paddingWidth)
    }

    /// y[i, j] += w · x[shifted (i, j)] over the valid rows and columns of one channel stored element-major with
    /// `lanes` samples per element (the innermost loop runs over the samples).
    @inline(__always)
    func add(_ w: Double, from x: UnsafePointer<Double>, to y: UnsafeMutablePointer<Double>, lanes n: Int) {
        for i in rows {
            for j in cols {
                let xs = x + (i &* rowStep &+ offset &+ j &* colStride) &* n, ys = y + (i &* outputWidth &+ j) &* n
                for s in 0..<n { ys[s] += w * xs[s] }
            }
        }
    }
}
