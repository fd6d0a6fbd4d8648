// Per-sample kernels of the graph forward pass: plain loops over contiguous NCHW buffers (the dense kernel, shared
// with the MLP forward pass, is Support/DenseKernel.swift).

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
