// Kernels of the forward passes: plain loops over contiguous NCHW buffers (per sample), and the blocked dense kernel.

/// ⌈a / b⌉ for b > 0 and any sign of a.
@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
/// ⌊a / b⌋ for b > 0 and any sign of a.
@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// The output rows i (or columns) with 0 ≤ i·s + u − p < n, clipped to 0..<outSize (empty if none).
@inline(__always) func validRange(kernelOffset u: Int, padding p: Int, stride s: Int, inputSize n: Int,
                                  outputSize m: Int) -> Range<Int> {
    let lo = max(0, ceilDiv(p - u, s)), hi = min(m - 1, floorDiv(n - 1 + p - u, s))
    return lo <= hi ? lo..<(hi + 1) : 0..<0
}

/// One sample of a convolution: y[o, i, j] = b[o] + Σ_{ci,u,v} w[o, ci, u, v]·x[g·C/G + ci, i·sh + u − ph, j·sw + v − pw]
/// with zero padding. Loop order o, ci, u, v, i, j: the innermost loop runs along an output row.
/// O(O·(C/G)·kh·kw·OH·OW).
func convolveSample(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, weight: UnsafePointer<Double>,
                    bias: UnsafePointer<Double>, _ g: Conv2DGeometry, inputHeight h: Int, inputWidth w: Int,
                    outputHeight oh: Int, outputWidth ow: Int) {
    let ipg = g.inPerGroup, opg = g.outPerGroup, plane = oh * ow
    for o in 0..<g.outChannels {
        let yp = y + o * plane
        yp.update(repeating: bias[o], count: plane)
        let base = (o / opg) * ipg
        for ci in 0..<ipg {
            let xp = x + (base + ci) * h * w
            for u in 0..<g.kernelHeight {
                let rows = validRange(kernelOffset: u, padding: g.paddingHeight, stride: g.strideHeight,
                                      inputSize: h, outputSize: oh)
                if rows.isEmpty { continue }
                for v in 0..<g.kernelWidth {
                    let cols = validRange(kernelOffset: v, padding: g.paddingWidth, stride: g.strideWidth,
                                          inputSize: w, outputSize: ow)
                    if cols.isEmpty { continue }
                    let wv = weight[g.weightIndex(o, ci, u, v)]
                    for i in rows {
                        let xr = xp + (i * g.strideHeight + u - g.paddingHeight) * w + (v - g.paddingWidth)
                        let yr = yp + i * ow
                        if g.strideWidth == 1 {
                            for j in cols { yr[j] += wv * xr[j] }
                        } else {
                            for j in cols { yr[j] += wv * xr[j * g.strideWidth] }
                        }
                    }
                }
            }
        }
    }
}

/// Rows `rows` of a dense layer on a row-major batch: y[r, o] = act(b[o] + Σ_i W[o, i]·x[r, i]), act = ReLU or the
/// identity. The one dense kernel of the library (MLP and graph forward passes): four samples share each pass over
/// a weight row (rows of W and of the batch are contiguous), and every sum is accumulated in the same order as the
/// plain loop `s = b[o]; for i { s += W[o, i]·x[i] }`, so the result is bit for bit that of the plain loop.
/// O(|rows|·inputs·outputs).
@inline(__always)
func denseRows(_ w: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
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

/// One sample of max pooling (`average == false`) or average pooling (sum times 1/window). O(C·OH·OW·window).
func poolSample(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ p: PoolGeometry, average: Bool,
                channels c: Int, inputHeight h: Int, inputWidth w: Int, outputHeight oh: Int, outputWidth ow: Int) {
    let scale = 1 / Double(p.windowSize)
    for ch in 0..<c {
        let xp = x + ch * h * w, yp = y + ch * oh * ow
        for i in 0..<oh {
            for j in 0..<ow {
                let top = xp + i * p.strideHeight * w + j * p.strideWidth
                var s = average ? 0 : top[0]
                for u in 0..<p.kernelHeight {
                    let r = top + u * w
                    if average {
                        for v in 0..<p.kernelWidth { s += r[v] }
                    } else {
                        for v in 0..<p.kernelWidth { s = max(s, r[v]) }
                    }
                }
                yp[i * ow + j] = average ? s * scale : s
            }
        }
    }
}
