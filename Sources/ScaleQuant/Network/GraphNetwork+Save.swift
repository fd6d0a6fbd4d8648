import Foundation

extension GraphNetwork {
    /// Writes the graph as a safetensors weights file plus its JSON spec (the format read by ``load(spec:)``),
    /// both atomically. Tensor names come from `layout` (else `<node>.weight`, …; a bias a folded batch norm
    /// created is named after its weight, `conv.weight` → `conv.bias`); each tensor is stored in `layout.dtype`
    /// (default float32) when all its values are representable there, else in float64. A bias that the model
    /// never had and that is still all zeros is written as `null`. After ``foldingBatchNorm()`` the spec has no
    /// batchnorm2d node and the convolutions carry the folded biases.
    ///
    /// - Parameters:
    ///   - spec: the JSON file to write.
    ///   - weights: the safetensors file (default: `spec` with the extension `.safetensors`); the spec refers to
    ///     it by file name when both are in one folder, else by absolute path.
    ///   - metadata: the weights file's `__metadata__` (e.g. `format`, `method`).
    ///   - inputs: files the caller read from (its spec and weights); neither output may be one of them.
    /// - Throws: ``FileFormatError/refusingToOverwriteInput(file:)``, ``FileFormatError`` for write failures or
    ///   repeated tensor names, ``GraphError/invalidArgument(_:)`` if `spec` and `weights` are the same file.
    public func save(spec: URL, weights: URL? = nil, layout: GraphLayout? = nil, metadata: [String: String] = [:],
                     refusingToOverwrite inputs: [URL] = []) throws {
        let weightsURL = weights ?? spec.deletingPathExtension().appendingPathExtension("safetensors")
        guard resolvedPath(weightsURL.path) != resolvedPath(spec.path) else {
            throw GraphError.invalidArgument("the spec and the weights must be different files (\(spec.path))")
        }
        for output in [spec, weightsURL] where inputs.contains(where: { resolvedPath($0.path) == resolvedPath(output.path) }) {
            throw FileFormatError.refusingToOverwriteInput(file: output.path)
        }
        let layout = layout ?? GraphLayout()
        let sameFolder = resolvedPath(weightsURL.deletingLastPathComponent().path)
            == resolvedPath(spec.deletingLastPathComponent().path)
        let reference = sameFolder ? weightsURL.lastPathComponent : resolvedPath(weightsURL.path)
        let (tensors, names) = try namedTensors(layout)
        let inputPaths = inputs.map(\.path)
        try SafeTensorsFile(tensors: tensors, metadata: metadata)
            .write(to: weightsURL.path, refusingToOverwrite: inputPaths)
        let text = specJSON(weightsFile: reference, tensorNames: names, description: layout.description)
        try writeAtomically(Array(text.utf8), to: spec.path, refusingToOverwrite: inputPaths + [weightsURL.path])
    }

    /// The tensors to write and, per node, field → tensor name (absent: written as null).
    func namedTensors(_ layout: GraphLayout) throws -> ([SafeTensorsFile.Tensor], [String: [String: String]]) {
        var tensors: [SafeTensorsFile.Tensor] = []
        var names: [String: [String: String]] = [:]
        func store(_ node: String, _ field: String, _ values: [Double], _ shape: [Int], name: String? = nil) throws {
            let n = name ?? layout.tensorName(node: node, field: field)
            let dt = layout.dtype.canRepresent(values) ? layout.dtype : .float64
            tensors.append(.init(name: n, array: try NDArray(shape: shape, values: values, dtype: dt)))
            names[node, default: [:]][field] = n
        }
        for node in nodes {
            switch node.operation {
            case .conv2d(let g):
                try store(node.name, "weight", node.weight, [g.outChannels, g.inPerGroup, g.kernelHeight, g.kernelWidth])
            case .linear(let fin, let fout):
                try store(node.name, "weight", node.weight, [fout, fin])
            case .batchNorm2d(let b):
                let c = [b.gamma.count]
                try store(node.name, "weight", b.gamma, c)
                try store(node.name, "bias", b.beta, c)
                try store(node.name, "running_mean", b.runningMean, c)
                try store(node.name, "running_var", b.runningVariance, c)
            default:
                break
            }
            if node.operation.isAffine && (node.hasBias || node.bias.contains { $0 != 0 }) {
                var name = layout.tensorNames[node.name]?["bias"]
                if name == nil, let w = names[node.name]?["weight"], w.hasSuffix(".weight") {
                    name = String(w.dropLast(6)) + "bias"
                }
                try store(node.name, "bias", node.bias, [node.bias.count], name: name)
            }
        }
        return (tensors, names)
    }

    /// The JSON spec text: one key per line, one node per line.
    func specJSON(weightsFile: String, tensorNames names: [String: [String: String]], description: String) -> String {
        func list(_ v: [Int]) -> JSONValue { .array(v.map { .integer($0) }) }
        func ref(_ node: String, _ field: String) -> JSONValue { .nullable(names[node]?[field]) }
        let specNodes = nodes.map { node -> JSONValue in
            var f: [(String, JSONValue)] = [("name", .string(node.name)), ("kind", .string(node.operation.kind)),
                                            ("inputs", .array(node.inputs.map { .string($0) }))]
            switch node.operation {
            case .conv2d(let g):
                f += [("weight", ref(node.name, "weight")), ("bias", ref(node.name, "bias")),
                      ("in_channels", .integer(g.inChannels)), ("out_channels", .integer(g.outChannels)),
                      ("kernel_size", list([g.kernelHeight, g.kernelWidth])),
                      ("stride", list([g.strideHeight, g.strideWidth])),
                      ("padding", list([g.paddingHeight, g.paddingWidth])), ("dilation", list([1, 1])),
                      ("groups", .integer(g.groups))]
            case .linear(let fin, let fout):
                f += [("weight", ref(node.name, "weight")), ("bias", ref(node.name, "bias")),
                      ("in_features", .integer(fin)), ("out_features", .integer(fout))]
            case .maxPool2d(let p), .avgPool2d(let p):
                f += [("kernel_size", list([p.kernelHeight, p.kernelWidth])),
                      ("stride", list([p.strideHeight, p.strideWidth])), ("padding", list([0, 0]))]
            case .flatten:
                f += [("start_dim", .integer(1))]
            case .batchNorm2d(let b):
                f += [("num_features", .integer(b.gamma.count))]
                f += ["weight", "bias", "running_mean", "running_var"].map { ($0, ref(node.name, $0)) }
                f += [("eps", .number(b.eps))]
            case .relu, .add:
                break
            }
            f.append(("output_shape", list(node.outputShape)))
            return .object(f)
        }
        let input: JSONValue = .object([("name", .string("input")), ("shape", list(inputShape)),
                                        ("layout", .string(inputShape.count == 3 ? "CHW" : "F"))])
        return JSONValue.object([("format", .string("scalequant-graph")), ("version", .integer(1)),
                                 ("description", .string(description)), ("weights", .string(weightsFile)),
                                 ("input", input), ("output", .string(nodes[nodes.count - 1].name)),
                                 ("nodes", .array(specNodes))]).rendered(pretty: true) + "\n"
    }
}
