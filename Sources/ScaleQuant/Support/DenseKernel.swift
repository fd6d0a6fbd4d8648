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
