import Foundation

/// How a graph's tensors are named and stored, so that it can be written back in the layout it was read from.
public struct GraphLayout: Sendable, Equatable {
    /// Per node name, spec field (`weight`, `bias`, `running_mean`, `running_var`) → tensor name. Fields without an
    /// entry are written as `<node>.<field>`.
    public var tensorNames: [String: [String: String]]
    /// The floating-point dtype of the weights file (values not representable in it are written as float64).
    public var dtype: DType
    /// The weights file's `__metadata__`.
    public var metadata: [String: String]
    /// The spec's `description`.
    public var description: String

    /// Creates a layout.
    public init(tensorNames: [String: [String: String]] = [:], dtype: DType = .float32,
                metadata: [String: String] = [:], description: String = "") {
        self.tensorNames = tensorNames; self.dtype = dtype; self.metadata = metadata; self.description = description
    }

    /// The tensor name of a node's field.
    public func tensorName(node: String, field: String) -> String { tensorNames[node]?[field] ?? "\(node).\(field)" }
}

extension GraphNetwork {
    /// Reads a graph from a JSON spec (`"format": "scalequant-graph"`, version 1, documented in
    /// `Resources/README.md` and `docs/Networks.md`) and the safetensors file its `weights` names (relative to
    /// the spec's folder). Tensors of any floating dtype (float32, float64, float16, bfloat16) become `Double`.
    ///
    /// - Throws: ``GraphError/invalidSpec(file:reason:)`` naming the file and node for malformed JSON, unknown
    ///   kinds, unsupported options (dilation ≠ 1, pooling padding, ceil mode, non-zero padding modes), missing or
    ///   mis-shaped tensors and every validation error of ``init(inputShape:nodes:output:)``;
    ///   ``FileFormatError`` if a file cannot be read.
    public static func load(spec: URL) throws -> GraphNetwork { try loadWithLayout(spec: spec).network }

    /// ``load(spec:)`` also returning the tensor names and storage dtype (for ``save(spec:weights:layout:metadata:refusingToOverwrite:)``).
    ///
    /// - Throws: as ``load(spec:)``.
    public static func loadWithLayout(spec: URL) throws -> (network: GraphNetwork, layout: GraphLayout) {
        let path = spec.path
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: Data(try FileBytes.read(path))) } catch let e as FileFormatError {
            throw e
        } catch {
            throw GraphError.invalidSpec(file: path, reason: "not valid JSON")
        }
        guard let top = root as? [String: Any] else { throw GraphError.invalidSpec(file: path, reason: "not a JSON object") }
        let r = GraphSpecReader(file: path, context: "", object: top)
        guard (try? r.string("format")) == "scalequant-graph" else {
            throw r.fail("'format' must be \"scalequant-graph\"")
        }
        guard let version = try? r.int("version"), version == 1 else { throw r.fail("'version' must be 1") }
        let weightsName = try r.string("weights")
        let weightsURL = weightsName.hasPrefix("/") ? URL(fileURLWithPath: weightsName)
            : spec.deletingLastPathComponent().appendingPathComponent(weightsName)
        let weights = try SafeTensorsFile.read(weightsURL.path)
        var tensors: [String: NDArray] = [:]
        for t in weights.tensors { tensors[t.name] = t.array }
        let shape = try r.object("input").intList("shape")
        let output = try r.string("output")
        var nodes: [GraphNode] = []
        var names: [String: [String: String]] = [:]
        var dtype: DType?
        for (k, item) in try r.list("nodes").enumerated() {
            guard let object = item as? [String: Any] else { throw r.fail("nodes[\(k)] is not an object") }
            var nr = GraphSpecReader(file: path, context: "nodes[\(k)]", object: object)
            let name = try nr.string("name")
            nr.context = "node '\(name)'"
            var loader = NodeTensorLoader(reader: nr, tensors: tensors, weightsFile: weightsURL.lastPathComponent)
            nodes.append(try parseNode(nr, name: name, tensors: &loader))
            names[name] = loader.used
            if dtype == nil, let d = loader.dtype { dtype = d }
        }
        do {
            let network = try GraphNetwork(inputShape: shape, nodes: nodes, output: output)
            return (network, GraphLayout(tensorNames: names, dtype: dtype ?? .float32, metadata: weights.metadata,
                                         description: (try? r.string("description")) ?? ""))
        } catch let e as GraphError {
            throw GraphError.invalidSpec(file: path, reason: e.description)
        }
    }

    /// One node of the spec.
    private static func parseNode(_ r: GraphSpecReader, name: String,
                                  tensors t: inout NodeTensorLoader) throws -> GraphNode {
        let kind = try r.string("kind")
        let inputs = try r.stringList("inputs")
        let declared = try r.optionalIntList("output_shape")
        var node: GraphNode
        switch kind {
        case "conv2d":
            let g = Conv2DGeometry(inChannels: try r.int("in_channels"), outChannels: try r.int("out_channels"),
                                   kernel: try r.pair("kernel_size"), stride: try r.pair("stride", default: (1, 1)),
                                   padding: try r.pair("padding", default: (0, 0)), groups: try r.int("groups", default: 1))
            guard try r.pair("dilation", default: (1, 1)) == (1, 1) else {
                throw r.fail("dilation other than 1 is not supported")
            }
            if let mode = try r.optionalString("padding_mode"), mode != "zeros" {
                throw r.fail("padding_mode '\(mode)' is not supported (only zeros)")
            }
            guard g.groups > 0, g.inChannels % g.groups == 0, g.outChannels > 0 else {
                throw r.fail("groups = \(g.groups) must be positive and divide in_channels = \(g.inChannels)")
            }
            let w = try t.tensor("weight", shape: [g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth])
            let b = try t.optionalTensor("bias", shape: [g.outChannels])
            node = .conv2d(name, input: inputs.first ?? "", weight: w, bias: b, geometry: g)
        case "linear":
            let fin = try r.int("in_features"), fout = try r.int("out_features")
            let w = try t.tensor("weight", shape: [fout, fin])
            node = .linear(name, input: inputs.first ?? "", weight: w, bias: try t.optionalTensor("bias", shape: [fout]),
                           inFeatures: fin, outFeatures: fout)
        case "relu":
            node = .relu(name, input: inputs.first ?? "")
        case "maxpool2d", "avgpool2d":
            let kernel = try r.pair("kernel_size")
            let p = PoolGeometry(kernel: kernel, stride: try r.pair("stride", default: kernel))
            guard try r.pair("padding", default: (0, 0)) == (0, 0) else { throw r.fail("pooling padding is not supported") }
            guard try r.pair("dilation", default: (1, 1)) == (1, 1) else { throw r.fail("pooling dilation is not supported") }
            if let ceil = r.object["ceil_mode"] as? Bool, ceil { throw r.fail("ceil_mode is not supported") }
            node = GraphNode(name: name, operation: kind == "maxpool2d" ? .maxPool2d(p) : .avgPool2d(p), inputs: [])
        case "flatten":
            guard try r.int("start_dim", default: 1) == 1, try r.int("end_dim", default: -1) == -1 else {
                throw r.fail("flatten supports start_dim 1 and end_dim -1 only")
            }
            node = .flatten(name, input: inputs.first ?? "")
        case "add":
            node = GraphNode(name: name, operation: .add, inputs: [])
        case "batchnorm2d":
            let c = try r.int("num_features")
            let params = BatchNormParameters(
                gamma: try t.optionalTensor("weight", shape: [c]) ?? [Double](repeating: 1, count: c),
                beta: try t.optionalTensor("bias", shape: [c]) ?? [Double](repeating: 0, count: c),
                runningMean: try t.tensor("running_mean", shape: [c]),
                runningVariance: try t.tensor("running_var", shape: [c]),
                eps: try r.double("eps", default: 1e-5))
            node = .batchNorm2d(name, input: inputs.first ?? "", parameters: params)
        default:
            throw r.fail("unknown kind '\(kind)' (known: conv2d, linear, relu, maxpool2d, avgpool2d, flatten, add, "
                         + "batchnorm2d)")
        }
        node.inputs = inputs
        if let declared { node.outputShape = declared }
        return node
    }
}

/// Reads the tensors a spec node names, checking shapes and recording the names used.
private struct NodeTensorLoader {
    let reader: GraphSpecReader
    let tensors: [String: NDArray]
    let weightsFile: String
    var used: [String: String] = [:]
    var dtype: DType?

    /// The tensor named by `field`, which must exist with this shape.
    mutating func tensor(_ field: String, shape: [Int]) throws -> [Double] {
        guard let v = try optionalTensor(field, shape: shape) else { throw reader.fail("'\(field)' must name a tensor") }
        return v
    }

    /// The tensor named by `field`, `nil` if the field is absent or null.
    mutating func optionalTensor(_ field: String, shape: [Int]) throws -> [Double]? {
        guard let name = try reader.optionalString(field) else { return nil }
        guard let a = tensors[name] else {
            throw reader.fail("tensor '\(name)' (\(field)) is not in \(weightsFile)")
        }
        guard a.shape == shape else {
            throw reader.fail("tensor '\(name)' (\(field)) has shape \(a.shape), expected \(shape)")
        }
        guard a.dtype.isFloatingPoint else {
            throw reader.fail("tensor '\(name)' (\(field)) has dtype \(a.dtype.rawValue), expected a float type")
        }
        used[field] = name
        if dtype == nil { dtype = a.dtype }
        return a.values
    }
}
