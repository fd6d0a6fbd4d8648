/// One node of a ``GraphNetwork``: a named operation reading the graph input or earlier nodes by name.
///
/// Shapes are per sample, without the batch dimension: `[C, H, W]` or `[F]`. The output shape is inferred when the
/// node joins a network; a shape given here (e.g. a spec's `output_shape`) is checked against it.
public struct GraphNode: Sendable, Equatable {
    /// The node's unique name (not `input`).
    public var name: String
    /// What the node computes.
    public var operation: GraphOperation
    /// The names of its inputs: `input` (the graph input) or earlier nodes; two for `add`, one otherwise.
    public var inputs: [String]
    /// The per-sample output shape (inferred by ``GraphNetwork/init(inputShape:nodes:output:)``).
    public internal(set) var outputShape: [Int]
    /// conv2d: `[O, C/groups, kh, kw]` row-major; linear: `[out, in]` row-major; empty for other kinds.
    public internal(set) var weight: [Double]
    /// conv2d / linear: one bias per output channel or feature (zeros when the model has none); else empty.
    public internal(set) var bias: [Double]
    /// Whether the model stored a bias (a bias of zeros is then still written when saving).
    public internal(set) var hasBias: Bool

    /// Creates a node; `bias == nil` on conv2d/linear means zeros. Checked when the node joins a network.
    public init(name: String, operation: GraphOperation, inputs: [String], weight: [Double] = [],
                bias: [Double]? = nil, outputShape: [Int]? = nil) {
        self.name = name
        self.operation = operation
        self.inputs = inputs
        self.weight = weight
        self.bias = bias ?? [Double](repeating: 0, count: max(operation.affineOutputs, 0))
        self.hasBias = bias != nil
        self.outputShape = outputShape ?? []
    }

    /// A 2-D convolution node.
    public static func conv2d(_ name: String, input: String, weight: [Double], bias: [Double]?,
                              geometry: Conv2DGeometry) -> GraphNode {
        GraphNode(name: name, operation: .conv2d(geometry), inputs: [input], weight: weight, bias: bias)
    }

    /// A dense node, weight row-major `[outFeatures, inFeatures]`.
    public static func linear(_ name: String, input: String, weight: [Double], bias: [Double]?,
                              inFeatures: Int, outFeatures: Int) -> GraphNode {
        GraphNode(name: name, operation: .linear(inFeatures: inFeatures, outFeatures: outFeatures), inputs: [input],
                  weight: weight, bias: bias)
    }

    /// A ReLU node.
    public static func relu(_ name: String, input: String) -> GraphNode {
        GraphNode(name: name, operation: .relu, inputs: [input])
    }

    /// A max-pooling node (stride defaults to the kernel size).
    public static func maxPool2d(_ name: String, input: String, kernel: (Int, Int),
                                 stride: (Int, Int)? = nil) -> GraphNode {
        GraphNode(name: name, operation: .maxPool2d(PoolGeometry(kernel: kernel, stride: stride)), inputs: [input])
    }

    /// An average-pooling node (stride defaults to the kernel size).
    public static func avgPool2d(_ name: String, input: String, kernel: (Int, Int),
                                 stride: (Int, Int)? = nil) -> GraphNode {
        GraphNode(name: name, operation: .avgPool2d(PoolGeometry(kernel: kernel, stride: stride)), inputs: [input])
    }

    /// A flatten node.
    public static func flatten(_ name: String, input: String) -> GraphNode {
        GraphNode(name: name, operation: .flatten, inputs: [input])
    }

    /// A residual sum of two inputs of equal shape.
    public static func add(_ name: String, _ a: String, _ b: String) -> GraphNode {
        GraphNode(name: name, operation: .add, inputs: [a, b])
    }

    /// A frozen batch-normalization node.
    public static func batchNorm2d(_ name: String, input: String, parameters: BatchNormParameters) -> GraphNode {
        GraphNode(name: name, operation: .batchNorm2d(parameters), inputs: [input])
    }
}
