/// The geometry of a 2-D convolution with PyTorch `nn.Conv2d` semantics: zero padding, dilation 1,
/// weight `[outChannels, inChannels/groups, kernelHeight, kernelWidth]`, output channel o reading the input
/// channels of its group `(o / (outChannels/groups))·(inChannels/groups) …`.
public struct Conv2DGeometry: Sendable, Hashable {
    /// Input channels C.
    public var inChannels: Int
    /// Output channels O.
    public var outChannels: Int
    /// Kernel height kh.
    public var kernelHeight: Int
    /// Kernel width kw.
    public var kernelWidth: Int
    /// Vertical stride sh ≥ 1.
    public var strideHeight: Int
    /// Horizontal stride sw ≥ 1.
    public var strideWidth: Int
    /// Zero rows added above and below, ph ≥ 0.
    public var paddingHeight: Int
    /// Zero columns added left and right, pw ≥ 0.
    public var paddingWidth: Int
    /// Channel groups; divides both channel counts.
    public var groups: Int

    /// Creates a geometry (checked when the node joins a ``GraphNetwork``).
    public init(inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), groups: Int = 1) {
        self.inChannels = inChannels; self.outChannels = outChannels
        kernelHeight = kernel.0; kernelWidth = kernel.1
        strideHeight = stride.0; strideWidth = stride.1
        paddingHeight = padding.0; paddingWidth = padding.1
        self.groups = groups
    }

    /// Input channels per group.
    public var inPerGroup: Int { inChannels / max(groups, 1) }
    /// Output channels per group.
    public var outPerGroup: Int { outChannels / max(groups, 1) }
    /// kh·kw.
    public var kernelArea: Int { kernelHeight * kernelWidth }
    /// The number of weights, O·(C/groups)·kh·kw.
    public var weightCount: Int { outChannels * inPerGroup * kernelArea }
    /// Flat index of `weight[o, ci, u, v]` (ci counted within o's group).
    @inlinable public func weightIndex(_ o: Int, _ ci: Int, _ u: Int, _ v: Int) -> Int {
        ((o * (inChannels / groups) + ci) * kernelHeight + u) * kernelWidth + v
    }
}

/// The geometry of a max or average pooling window: no padding, output size ⌊(H − k)/s⌋ + 1 (PyTorch's default
/// `ceil_mode=False`).
public struct PoolGeometry: Sendable, Hashable {
    /// Window height.
    public var kernelHeight: Int
    /// Window width.
    public var kernelWidth: Int
    /// Vertical stride.
    public var strideHeight: Int
    /// Horizontal stride.
    public var strideWidth: Int

    /// Creates a geometry; the stride defaults to the kernel size (as in PyTorch).
    public init(kernel: (Int, Int), stride: (Int, Int)? = nil) {
        kernelHeight = kernel.0; kernelWidth = kernel.1
        strideHeight = stride?.0 ?? kernel.0; strideWidth = stride?.1 ?? kernel.1
    }

    /// The number of elements in a window.
    public var windowSize: Int { kernelHeight * kernelWidth }
}

/// Frozen (eval-mode) batch normalization per channel: y = (x − mean)/√(var + eps)·γ + β.
public struct BatchNormParameters: Sendable, Equatable {
    /// γ, one per channel.
    public var gamma: [Double]
    /// β, one per channel.
    public var beta: [Double]
    /// Running mean, one per channel.
    public var runningMean: [Double]
    /// Running variance, one per channel.
    public var runningVariance: [Double]
    /// The ε added to the variance (> 0).
    public var eps: Double

    /// Creates the parameters (checked when the node joins a ``GraphNetwork``).
    public init(gamma: [Double], beta: [Double], runningMean: [Double], runningVariance: [Double],
                eps: Double = 1e-5) {
        self.gamma = gamma; self.beta = beta; self.runningMean = runningMean
        self.runningVariance = runningVariance; self.eps = eps
    }

    /// The per-channel affine map y = scale·x + shift equivalent to the normalization. O(channels).
    public var affine: (scale: [Double], shift: [Double]) {
        let scale = (0..<gamma.count).map { gamma[$0] / (runningVariance[$0] + eps).squareRoot() }
        let shift = (0..<gamma.count).map { beta[$0] - scale[$0] * runningMean[$0] }
        return (scale, shift)
    }
}

/// What a ``GraphNode`` computes. Learnable weights and biases of `conv2d` and `linear` live in the node
/// (``GraphNode/weight``, ``GraphNode/bias``); batch-norm statistics live in the case.
public enum GraphOperation: Sendable, Equatable {
    /// 2-D cross-correlation (`torch.nn.Conv2d`), input and output `[C, H, W]`.
    case conv2d(Conv2DGeometry)
    /// Dense layer y = W x + b, W row-major `[outFeatures, inFeatures]`, input and output `[F]`.
    case linear(inFeatures: Int, outFeatures: Int)
    /// max(x, 0) elementwise.
    case relu
    /// Maximum over each window, `[C, H, W]`.
    case maxPool2d(PoolGeometry)
    /// Mean over each window (sum divided by the window size), `[C, H, W]`.
    case avgPool2d(PoolGeometry)
    /// `[C, H, W]` → `[C·H·W]`, row-major (index c·H·W + h·W + w); the identity on `[F]`.
    case flatten
    /// Elementwise sum of two inputs of equal shape (a residual join).
    case add
    /// Frozen batch normalization over the channels (the first dimension) of `[C, H, W]` or `[C]`.
    case batchNorm2d(BatchNormParameters)

    /// The spec's name for the kind (`conv2d`, `linear`, `relu`, `maxpool2d`, `avgpool2d`, `flatten`, `add`,
    /// `batchnorm2d`).
    public var kind: String {
        switch self {
        case .conv2d: return "conv2d"
        case .linear: return "linear"
        case .relu: return "relu"
        case .maxPool2d: return "maxpool2d"
        case .avgPool2d: return "avgpool2d"
        case .flatten: return "flatten"
        case .add: return "add"
        case .batchNorm2d: return "batchnorm2d"
        }
    }

    /// Whether the node has a weight and bias (`conv2d`, `linear`).
    public var isAffine: Bool {
        switch self {
        case .conv2d, .linear: return true
        default: return false
        }
    }

    /// The number of output channels (conv2d) or features (linear) of an affine operation, 0 otherwise.
    public var affineOutputs: Int {
        switch self {
        case .conv2d(let g): return g.outChannels
        case .linear(_, let out): return out
        default: return 0
        }
    }
}
