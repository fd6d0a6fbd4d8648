import ScaleQuant

/// Largest accepted number of layers of a network passed to `sq_quantize_mlp`.
let maxNetworkLayers = Int64(1) << 16

/// Quantizes a ReLU network (multilayer perceptron) with the methods of `scalequant quantize`: a thin wrapper that
/// builds the perceptron graph and calls the library's one quantizer (``GraphQuantizer``), as ``sq_quantize_graph``
/// does for a perceptron spec (revision 3).
///
/// Layout (L = `n_layers` ≥ 1; all integers int64):
/// - `widths`: L + 1 values ≥ 1, the input size then the output size of each layer (n₀, n₁, …, n_L);
/// - `weights`: Σ n_ℓ·n_{ℓ−1} doubles, the weight matrices W_ℓ (n_ℓ × n_{ℓ−1}, row-major: `W[o][i]` connects
///   input i to output o, as PyTorch's `Linear.weight`) concatenated from the first layer to the last;
/// - `biases`: Σ n_ℓ doubles, the biases concatenated, or NULL for all zeros;
/// - `out_weights`, `out_biases`: the quantized parameters in the same layout (may alias the inputs);
/// - `out_stats`: 5 doubles `[l2_path_metric, relative_l2_path_metric, l1_path_metric_bound,
///   certified_output_bound, sweeps]`: ‖Φ(θ) − Φ(θ̂)‖₂ (absolute), the same divided by ‖Φ(θ)‖₂ (0 for a zero
///   network), the ℓ¹ path-metric bound and the certified bound on ‖R_θ(x) − R_θ̂(x)‖₁ over ‖x‖_∞ ≤ 1 (NaN when
///   the signs of θ and θ̂ disagree, where the CLI prints null), and the coordinate-descent sweeps (0 for other
///   methods). These are the numbers of `scalequant quantize --json` (`radius` 1).
///
/// `weight_format` and `bias_format` (NULL: the weight format) are format names; `intN` without `@STEP` means a
/// per-layer step max|·|/q (q = 2^(N−1) − 1) taken as the CLI does (input network for rtn, equalized for cle,
/// rescaling-invariant normal form for exact, l2r, cd). `method`: 0 rtn, 1 cle, 2 exact (exactly one hidden layer,
/// else status 4), 3 l2r, 4 cd (at most 50 sweeps, the CLI's default).
///
/// Rank-one based methods (exact, l2r, cd) refuse with status 4 networks beyond the rank-one solver's limits
/// (``RankOne/checkLimits(_:grid:name:)``: too many grid values per binade for a neuron's parameters, e.g.
/// binary64; magnitudes spanning more than 800 binades or beyond 2^±400 in the network or its normal form).
@_cdecl("sq_quantize_mlp")
public func sq_quantize_mlp(_ nLayers: Int64, _ widths: UnsafePointer<Int64>?, _ weights: UnsafePointer<Double>?,
                            _ biases: UnsafePointer<Double>?, _ weightFormat: UnsafePointer<CChar>?,
                            _ biasFormat: UnsafePointer<CChar>?, _ method: Int32,
                            _ outWeights: UnsafeMutablePointer<Double>?, _ outBiases: UnsafeMutablePointer<Double>?,
                            _ outStats: UnsafeMutablePointer<Double>?,
                            _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64) -> Int32 {
    guarded(err, errLen) {
        let network = try readNetwork(nLayers, widths, weights, biases)
        guard let entry = QuantizationMethodCatalog.coded(method), let m = entry.method, !entry.needsCalibration else {
            throw CABIError(SQStatus.invalidArgument,
                            "unknown method code \(method) (\(QuantizationMethodCatalog.codeList(dataAware: false)); "
                                + "calibrated methods: sq_quantize_mlp_data or sq_quantize_graph)")
        }
        let spec = try gridSpec(weightFormat, biasFormat)
        let outputs = try NetworkOutputs(outWeights, outBiases, outStats)
        // exact on a network without exactly one hidden layer: let the quantizer refuse with the CLI's message.
        let exactRefused = m == .exact && network.perceptronWidths?.count != 3
        if !exactRefused && (m == .exact || m == .leftToRight || m == .coordinateDescent) {
            try network.checkRankOneLimits(grids: spec)
        }
        try outputs.write(try GraphQuantizer.quantize(network, method: entry.name, grids: spec, calibration: nil,
                                                      options: .init()), original: network)
    }
}

/// Data-aware quantization of a ReLU network on calibration inputs: the method `data` of `scalequant quantize`
/// (``GraphDataAwareQuantizer`` on the perceptron: exact per-neuron searches over each hidden neuron's rescaling family minimizing the
/// output error on the calibration data, as coordinate descent started from cd's result or RTN's, at most 50
/// sweeps per layer as the CLI's default).
///
/// Layout: as ``sq_quantize_mlp`` (`n_layers`, `widths`, `weights`, `biases`, the formats, the outputs and
/// `out_stats`, whose `sweeps` entry is the total number of data-aware sweeps), plus
/// - `calib`: `n_samples` × n₀ doubles, row-major (one calibration input per row, n₀ = `widths[0]`), finite;
/// - `n_samples` ≥ 1, with `n_samples` × max(widths) ≤ 2^27 (the activations kept in memory).
///
/// Status 1 for a bad `n_samples` or null pointers, 3 for a NaN or infinite calibration value (its flat index in
/// the message), 4 for a network beyond the rank-one solver's limits (as cd), a neuron whose rescaling family has
/// more than 2^24 rounding boundaries on the grids (e.g. binary32, binary64, int24: use a narrower format), or
/// activations on the calibration data beyond 2^±256 in magnitude.
@_cdecl("sq_quantize_mlp_data")
public func sq_quantize_mlp_data(_ nLayers: Int64, _ widths: UnsafePointer<Int64>?, _ weights: UnsafePointer<Double>?,
                                 _ biases: UnsafePointer<Double>?, _ weightFormat: UnsafePointer<CChar>?,
                                 _ biasFormat: UnsafePointer<CChar>?, _ calib: UnsafePointer<Double>?,
                                 _ nSamples: Int64, _ outWeights: UnsafeMutablePointer<Double>?,
                                 _ outBiases: UnsafeMutablePointer<Double>?, _ outStats: UnsafeMutablePointer<Double>?,
                                 _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64) -> Int32 {
    guarded(err, errLen) {
        let network = try readNetwork(nLayers, widths, weights, biases)
        let spec = try gridSpec(weightFormat, biasFormat)
        let widest = network.perceptronWidths?.max() ?? 1
        let (cells, overflow) = Int(clamping: nSamples).multipliedReportingOverflow(by: widest)
        guard nSamples >= 1, !overflow, cells <= Int(maxCalibrationValues) else {
            throw CABIError(SQStatus.invalidArgument,
                            "n_samples is \(nSamples): it must be at least 1, and n_samples × the largest width "
                                + "(\(widest)) at most \(maxCalibrationValues)")
        }
        let count = Int(nSamples)
        let x = try finiteDoubles(calib, count * network.inputSize, "calib")
        let outputs = try NetworkOutputs(outWeights, outBiases, outStats)
        try network.checkRankOneLimits(grids: spec)
        try network.checkDataAwareCost(grids: spec)
        try network.checkActivations(calibration: x, count: count)
        let result = try GraphDataAwareQuantizer.quantize(network, grids: spec, calibration: x, count: count)
        try outputs.write(result.quantization, original: network)
    }
}

/// Largest accepted n_samples × max(widths) of ``sq_quantize_mlp_data`` (2^27 doubles, 1 GiB per activation array).
let maxCalibrationValues = Int64(1) << 27

/// Reads and validates the network of the `sq_quantize_mlp` layout: `n_layers`, `widths[n_layers + 1]`, the
/// weights (row-major, concatenated) and the biases (concatenated; NULL = zeros).
func readNetwork(_ nLayers: Int64, _ widths: UnsafePointer<Int64>?, _ weights: UnsafePointer<Double>?,
                 _ biases: UnsafePointer<Double>?) throws -> GraphNetwork {
    guard nLayers >= 1, nLayers <= maxNetworkLayers else {
        throw CABIError(SQStatus.invalidArgument, "n_layers must lie in 1…\(maxNetworkLayers) (got \(nLayers))")
    }
    let count = Int(nLayers)
    guard let wp = try required(widths, "widths") else {
        throw CABIError(SQStatus.invalidArgument, "widths is a null pointer")
    }
    var sizes: [Int] = []
    for k in 0...count {
        let w = wp[k]
        guard w >= 1, w <= maxElements else {
            throw CABIError(SQStatus.invalidArgument, "widths[\(k)] is \(w) (widths must be at least 1)")
        }
        sizes.append(Int(w))
    }
    var weightTotal = 0, biasTotal = 0
    for l in 0..<count {
        let (product, o1) = sizes[l + 1].multipliedReportingOverflow(by: sizes[l])
        let (sum, o2) = weightTotal.addingReportingOverflow(product)
        guard !o1, !o2, sum <= Int(maxElements) else {
            throw CABIError(SQStatus.invalidArgument, "the total number of weights is too large")
        }
        weightTotal = sum
        biasTotal += sizes[l + 1]
    }
    guard biasTotal <= Int(maxElements) else {
        throw CABIError(SQStatus.invalidArgument, "the total number of biases is too large")
    }
    let w = try finiteDoubles(weights, weightTotal, "weights")
    let b = biases == nil ? [Double](repeating: 0, count: biasTotal) : try finiteDoubles(biases, biasTotal, "biases")
    var ws: [[Double]] = [], bs: [[Double]?] = []
    var wo = 0, bo = 0
    for l in 0..<count {
        let n = sizes[l + 1] * sizes[l]
        ws.append(Array(w[wo..<(wo + n)]))
        bs.append(Array(b[bo..<(bo + sizes[l + 1])]))
        wo += n
        bo += sizes[l + 1]
    }
    return try GraphNetwork.perceptron(widths: sizes, weights: ws, biases: bs)
}

/// The grids of `weight_format` and `bias_format` (NULL: the weight format), as `scalequant quantize` reads them.
func gridSpec(_ weightFormat: UnsafePointer<CChar>?, _ biasFormat: UnsafePointer<CChar>?) throws -> GraphGridSpec {
    let weightChoice = try gridChoice(weightFormat, "weight_format")
    let biasChoice = biasFormat == nil ? nil : try gridChoice(biasFormat, "bias_format")
    return GraphGridSpec(weights: weightChoice, biases: biasChoice)
}

/// The validated output buffers of a network function.
struct NetworkOutputs {
    /// Quantized weights, same layout as the input weights.
    let weights: UnsafeMutablePointer<Double>
    /// Quantized biases, same layout as the input biases.
    let biases: UnsafeMutablePointer<Double>
    /// The 5 statistics.
    let stats: UnsafeMutablePointer<Double>

    init(_ outWeights: UnsafeMutablePointer<Double>?, _ outBiases: UnsafeMutablePointer<Double>?,
         _ outStats: UnsafeMutablePointer<Double>?) throws {
        guard let w = outWeights else { throw CABIError(SQStatus.invalidArgument, "out_weights is a null pointer") }
        guard let b = outBiases else { throw CABIError(SQStatus.invalidArgument, "out_biases is a null pointer") }
        guard let s = outStats else { throw CABIError(SQStatus.invalidArgument, "out_stats is a null pointer") }
        weights = w
        biases = b
        stats = s
    }

    /// Writes the quantized parameters and `[l2_path_metric, relative_l2_path_metric, l1_path_metric_bound,
    /// certified_output_bound (radius 1), sweeps]` (NaN for a bound the CLI prints as null).
    func write(_ result: GraphQuantizationResult, original network: GraphNetwork) throws {
        let q = result.network
        var wo = 0, bo = 0
        for layer in q.nodes where layer.operation.isAffine {
            for v in layer.weight {
                weights[wo] = v
                wo += 1
            }
            for v in layer.bias {
                biases[bo] = v
                bo += 1
            }
        }
        stats.writeMetrics(try PathMetrics(original: network, quantized: q))
        stats[4] = Double(result.sweeps)
    }
}

/// The grid choice of a format name, as `scalequant quantize` reads `--format`: `intN` without `@STEP` is an integer
/// grid with a per-layer step.
func gridChoice(_ name: UnsafePointer<CChar>?, _ label: String) throws -> GridChoice {
    guard let name else { throw CABIError(SQStatus.invalidArgument, "\(label) is a null pointer") }
    guard let s = String(validatingCString: name) else {
        throw CABIError(SQStatus.invalidFormat, "\(label) is not valid UTF-8")
    }
    return try GridChoice(format: s)
}
