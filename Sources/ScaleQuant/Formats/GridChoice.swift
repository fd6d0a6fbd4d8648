/// How one kind of parameter (weights or biases) is rounded in every layer (or node) of a network.
public enum GridChoice: Sendable {
    /// The same grid in every layer.
    case fixed(any NumberGrid)
    /// Symmetric integer grid `s_ℓ·{−q…q}`, q = 2^(bits−1) − 1, with a per-layer step s_ℓ = max|·|/q over the
    /// layer's weights (or biases) of a *reference* network (see ``GraphGridSpec``).
    case integerPerLayer(bits: Int)

    /// A base grid (a float format) times a float32 scale per layer: absmax over the layer's weights (or biases)
    /// of the reference network mapped to the base's largest finite value (``ScaledGrid/absmaxScale(_:base:)``),
    /// as practitioners store FP8/FP4 weights (`e4m3/tensor`).
    case scaledPerLayer(any NumberGrid)
    /// Symmetric integers with a float32 step per output channel (absmax of the channel's weights / q), the
    /// default of torchao and ONNX Runtime (`int4/ch`). Weights only: biases use ``perTensor``.
    case integerPerChannel(bits: Int)
    /// A base grid times a float32 absmax scale per output channel (`e4m3/ch`). Weights only.
    case scaledPerChannel(any NumberGrid)

    /// Whether each output channel has its own scale.
    public var isPerChannel: Bool {
        switch self {
        case .integerPerChannel, .scaledPerChannel: return true
        default: return false
        }
    }

    /// The per-layer choice of the same element grid (itself unless per-channel): what biases use when the
    /// weights are per-channel.
    public var perTensor: GridChoice {
        switch self {
        case .integerPerChannel(let bits): return .integerPerLayer(bits: bits)
        case .scaledPerChannel(let g): return .scaledPerLayer(g)
        default: return self
        }
    }

    /// The per-channel choice of the same element grid: `intN` → `intN/ch`, a float format (fixed or with a
    /// per-layer scale) → a float32 scale per channel; `nil` for grids that cannot take a scale (fixed-step
    /// integers, unbounded grids).
    public var perChannel: GridChoice? {
        switch self {
        case .integerPerLayer(let bits), .integerPerChannel(let bits): return .integerPerChannel(bits: bits)
        case .scaledPerLayer(let g), .scaledPerChannel(let g): return .scaledPerChannel(g)
        case .fixed(let g): return g is FloatFormat && g.maxFinite.isFinite ? .scaledPerChannel(g) : nil
        }
    }

    /// Bits of storage per scale (float32) added to each layer or channel that has one, 0 for fixed grids.
    public var scaleBits: Int {
        if case .fixed = self { return 0 }
        return 32
    }

    /// The choice a format name stands for wherever a network is quantized (CLI, C interface, reports,
    /// experiments): `intN` without `@STEP` is an integer grid with a per-layer step (a fixed step would not fit
    /// layers of different ranges); any other name is the fixed grid ``FormatCatalog/grid(named:)`` parses, e.g.
    /// `int8@0.125`, `e4m3`, `p=4`. A suffix sets the scale granularity: `NAME/tensor` a float32 scale per layer
    /// (for `intN` the same as no suffix), `NAME/ch` a float32 scale per output channel (``isPerChannel``).
    /// Case-insensitive.
    ///
    /// - Throws: ``FormatError/invalid(_:)`` for `intN` with N outside 2…53 (a step of 2^(N−1) − 1 levels must be
    ///   exact in a Double) or a scale suffix on a grid with a fixed step or without a largest value,
    ///   ``FormatError/unknownName(_:)`` for names that do not parse.
    public init(format name: String) throws {
        let key = name.lowercased()
        var base = key, granularity = ""
        if let slash = key.lastIndex(of: "/") {
            base = String(key[..<slash])
            granularity = String(key[key.index(after: slash)...])
            guard granularity == "tensor" || granularity == "ch" else {
                throw FormatError.unknownName("\(name): the scale suffix is /tensor or /ch")
            }
        }
        if base.hasPrefix("int"), !base.contains("@"), let bits = Int(base.dropFirst(3)) {
            guard (2...53).contains(bits) else { throw FormatError.invalid("integer formats need 2…53 bits, got \(bits)") }
            self = granularity == "ch" ? .integerPerChannel(bits: bits) : .integerPerLayer(bits: bits)
            return
        }
        let grid = try FormatCatalog.grid(named: base)
        if granularity.isEmpty { self = .fixed(grid); return }
        guard grid is FloatFormat, grid.maxFinite.isFinite else {
            throw FormatError.invalid("\(name): a scale suffix needs a float format with a largest finite value "
                                      + "(or intN without a step)")
        }
        self = granularity == "ch" ? .scaledPerChannel(grid) : .scaledPerLayer(grid)
    }
}
