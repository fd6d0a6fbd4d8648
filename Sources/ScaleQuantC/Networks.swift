import ScaleQuant

/// Largest accepted number of layers of a network passed to `sq_quantize_mlp`.
let maxNetworkLayers = Int64(1) << 16

/// Quantizes a ReLU network (multilayer perceptron) with the methods of `scalequant quantize`.
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
/// (``RankOneLimits``: too many grid values per binade for a neuron's parameters, e.g. binary64; magnitudes
/// spanning more than 500 binades or beyond 2^±400 in the network or its normal form).
@_cdecl("sq_quantize_mlp")
public func sq_quantize_mlp(_ nLayers: Int64, _ widths: UnsafePointer<Int64>?, _ weights: UnsafePointer<Double>?,
                            _ biases: UnsafePointer<Double>?, _ weightFormat: UnsafePointer<CChar>?,
                            _ biasFormat: UnsafePointer<CChar>?, _ method: Int32,
                            _ outWeights: UnsafeMutablePointer<Double>?, _ outBiases: UnsafeMutablePointer<Double>?,
                            _ outStats: UnsafeMutablePointer<Double>?,
                            _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64) -> Int32 {
    guarded(err, errLen) {
        guard nLayers >= 1, nLayers <= maxNetworkLayers else {
            throw CABIError(SQStatus.invalidArgument, "n_layers must lie in 1…\(maxNetworkLayers) (got \(nLayers))")
        }
        let count = Int(nLayers)
        guard let wp = try required(widths, "widths") else { return }
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
        guard let m = NetworkQuantizationMethod(code: method) else {
            throw CABIError(SQStatus.invalidArgument,
                            "unknown method code \(method) (0 rtn, 1 cle, 2 exact, 3 l2r, 4 cd)")
        }
        let weightChoice = try gridChoice(weightFormat, "weight_format")
        let biasChoice = biasFormat == nil ? nil : try gridChoice(biasFormat, "bias_format")
        let w = try finiteDoubles(weights, weightTotal, "weights")
        let b = biases == nil ? [Double](repeating: 0, count: biasTotal) : try finiteDoubles(biases, biasTotal, "biases")
        guard let ow = try requiredOutput(outWeights, "out_weights", count: weightTotal),
              let ob = try requiredOutput(outBiases, "out_biases", count: biasTotal),
              let os = try requiredOutput(outStats, "out_stats") else { return }
        var layers: [DenseLayer] = []
        var wo = 0, bo = 0
        for l in 0..<count {
            let n = sizes[l + 1] * sizes[l]
            layers.append(try DenseLayer(weight: Array(w[wo..<(wo + n)]), bias: Array(b[bo..<(bo + sizes[l + 1])]),
                                         inputs: sizes[l], outputs: sizes[l + 1]))
            wo += n
            bo += sizes[l + 1]
        }
        let network = try ReLUNetwork(layers: layers)
        let spec = NetworkGridSpec(weights: weightChoice, biases: biasChoice)
        // exact on a network without exactly one hidden layer: let the quantizer refuse with the CLI's message.
        let exactRefused = m == .exact && network.hiddenLayerCount != 1
        if !exactRefused && (m == .exact || m == .leftToRight || m == .coordinateDescent) {
            try checkRankOneLimits(network, spec)
        }
        let result = try NetworkQuantizer.quantize(network, method: m, grids: spec)
        let q = result.network
        wo = 0
        bo = 0
        for layer in q.layers {
            for v in layer.weight {
                ow[wo] = v
                wo += 1
            }
            for v in layer.bias {
                ob[bo] = v
                bo += 1
            }
        }
        os[0] = result.l2PathMetric
        os[1] = result.relativeL2PathMetric
        os[2] = PathLifting.l1PathMetricBound(network, q) ?? .nan
        os[3] = PathLifting.certifiedOutputBound(network, q, radius: 1) ?? .nan
        os[4] = Double(result.sweeps)
    }
}

extension NetworkQuantizationMethod {
    /// The method of a C method code (0 rtn, 1 cle, 2 exact, 3 l2r, 4 cd).
    init?(code: Int32) {
        switch code {
        case 0: self = .rtn
        case 1: self = .cle
        case 2: self = .exact
        case 3: self = .leftToRight
        case 4: self = .coordinateDescent
        default: return nil
        }
    }
}

/// The grid choice of a format name, as `scalequant quantize` reads `--format`: `intN` without `@STEP` is an integer
/// grid with a per-layer step.
func gridChoice(_ name: UnsafePointer<CChar>?, _ label: String) throws -> GridChoice {
    guard let name else { throw CABIError(SQStatus.invalidArgument, "\(label) is a null pointer") }
    guard let s = String(validatingCString: name) else {
        throw CABIError(SQStatus.invalidFormat, "\(label) is not valid UTF-8")
    }
    let key = s.lowercased()
    if key.hasPrefix("int"), !key.contains("@"), let bits = Int(key.dropFirst(3)) {
        guard bits >= 2, bits <= 53 else {
            throw CABIError(SQStatus.invalidFormat, "integer formats need 2…53 bits, got \(bits)")
        }
        return .integerPerLayer(bits: bits)
    }
    return .fixed(try FormatCatalog.grid(named: s))
}

/// Refuses (status 4) networks the rank-one solver behind exact, l2r and cd cannot handle safely: per hidden
/// neuron, its incoming parameters (row and bias) and outgoing column are checked with ``RankOneLimits/check``
/// against the grids, in the network and in its normal form, and every non-zero magnitude of both must lie within
/// 2^±``RankOneLimits/maxExponent``. O(P).
func checkRankOneLimits(_ network: ReLUNetwork, _ spec: NetworkGridSpec) throws {
    let normal = network.normalForm().network
    let grids = try spec.resolve(for: normal)
    for (net, which) in [(network, "the network"), (normal, "the network's normal form")] {
        for (l, layer) in net.layers.enumerated() {
            for v in layer.weight + layer.bias where v != 0 && Swift.abs(Int(Swift.abs(v).exponent)) > RankOneLimits.maxExponent {
                throw CABIError(SQStatus.unsupported,
                                "layer \(l) of \(which) has a parameter of magnitude 2^\(Int(Swift.abs(v).exponent)), "
                                    + "beyond the rank-one solver's limit of 2^±\(RankOneLimits.maxExponent)")
            }
            guard l + 1 < net.layers.count else { continue }
            let next = net.layers[l + 1]
            do {
                for i in 0..<layer.outputs {
                    try RankOneLimits.check(layer.incoming(i), grid: grids.weights[l],
                                            label: "layer \(l) neuron \(i) incoming parameters")
                    try RankOneLimits.check(layer.incoming(i), grid: grids.biases[l],
                                            label: "layer \(l) neuron \(i) incoming parameters")
                    try RankOneLimits.check(next.column(i), grid: grids.weights[l + 1],
                                            label: "layer \(l) neuron \(i) outgoing weights")
                }
            } catch SparseFactorError.tooExpensive(let message) {
                throw CABIError(SQStatus.unsupported, "\(message) (in \(which))")
            }
        }
    }
}
