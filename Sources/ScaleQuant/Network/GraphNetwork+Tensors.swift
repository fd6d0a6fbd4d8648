import Foundation

/// Maps tensor names to layers when they do not follow PyTorch `nn.Sequential` naming:
/// `{"layers":[{"weight":"fc1.weight","bias":"fc1.bias"}, …]}` (bias optional).
public struct NetworkNameSpec: Codable, Sendable, Equatable {
    /// The names of one layer's tensors.
    public struct Entry: Codable, Sendable, Equatable {
        /// The weight tensor (`out × in`).
        public var weight: String
        /// The bias tensor, if any (absent means zeros).
        public var bias: String?
        /// Creates an entry.
        public init(weight: String, bias: String? = nil) { self.weight = weight; self.bias = bias }
    }
    /// The layers, first to last.
    public var layers: [Entry]
    /// Creates a spec.
    public init(layers: [Entry]) { self.layers = layers }
    /// Reads a spec from a JSON file.
    ///
    /// - Throws: ``FileFormatError`` for an unreadable file, ``GraphError/invalidSpec(file:reason:)`` naming the file
    ///   for anything else (a graph spec given here is recognized and the message says to pass it as the model).
    public static func read(_ path: String) throws -> NetworkNameSpec {
        try parse(String(decoding: try FileBytes.read(path), as: UTF8.self), file: path)
    }
    /// Parses the JSON text of a spec (`file` names it in errors).
    ///
    /// - Throws: ``GraphError/invalidSpec(file:reason:)`` with a one-line reason.
    public static func parse(_ json: String, file: String = "layer-name spec") throws -> NetworkNameSpec {
        let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        if object?["nodes"] != nil {
            throw GraphError.invalidSpec(file: file, reason: "this is a graph spec (it has \"nodes\"): pass it as the "
                                         + "model, not as --spec")
        }
        guard let layers = object?["layers"] as? [[String: Any]] else {
            throw GraphError.invalidSpec(file: file, reason: "a layer-name spec is a JSON object "
                                         + "{\"layers\": [{\"weight\": \"fc1.weight\", \"bias\": \"fc1.bias\"}, …]}")
        }
        var entries: [Entry] = []
        for (l, layer) in layers.enumerated() {
            guard let w = layer["weight"] as? String, layer["bias"] == nil || layer["bias"] is String else {
                throw GraphError.invalidSpec(file: file, reason: "layer \(l) needs a string \"weight\" (and an "
                                             + "optional string \"bias\")")
            }
            entries.append(Entry(weight: w, bias: layer["bias"] as? String))
        }
        return NetworkNameSpec(layers: entries)
    }
}

/// Where a network came from: its tensor names, storage dtype and file kind, so it can be written back in the
/// same layout.
public struct NetworkLayout: Sendable, Equatable {
    /// One entry per layer (`bias == nil`: the file had no bias for that layer).
    public var names: [NetworkNameSpec.Entry]
    /// The floating-point dtype of the weights in the file (written back the same, see ``GraphNetwork/save(tensorFile:layout:metadata:preferred:refusingToOverwrite:)``).
    public var dtype: DType
    /// The metadata of the file (safetensors only).
    public var metadata: [String: String]

    /// Creates a layout.
    public init(names: [NetworkNameSpec.Entry], dtype: DType, metadata: [String: String] = [:]) {
        self.names = names; self.dtype = dtype; self.metadata = metadata
    }

    /// PyTorch `nn.Sequential` names for L linear layers separated by ReLUs: `0.weight`, `0.bias`, `2.weight`, …
    public static func sequential(layers: Int, dtype: DType = .float32) -> NetworkLayout {
        NetworkLayout(names: (0..<layers).map { .init(weight: "\(2 * $0).weight", bias: "\(2 * $0).bias") },
                      dtype: dtype)
    }
}

/// Reading and writing multilayer perceptrons (``GraphNetwork/perceptron(widths:weights:biases:)``) as
/// `.safetensors` or `.npz` files of PyTorch tensors, in the layout they came in.
extension GraphNetwork {
    /// Reads a perceptron from a `.safetensors` or `.npz` file, mapping names with `spec` if given, else by the
    /// `nn.Sequential` convention (`N.weight`/`N.bias` with increasing integer prefixes N; biases optional).
    ///
    /// - Throws: ``FileFormatError`` for unreadable files, ``GraphError/invalidSpec(file:reason:)`` naming the file
    ///   for names, shapes and NaN/Inf.
    public static func load(tensorFile path: String, spec: NetworkNameSpec? = nil) throws
        -> (network: GraphNetwork, layout: NetworkLayout) {
        let lower = path.lowercased()
        var tensors: [(String, NDArray)]
        var metadata: [String: String] = [:]
        if lower.hasSuffix(".npz") {
            tensors = try NPZ.read(path).map { ($0.name, $0.array) }
        } else if lower.hasSuffix(".safetensors") {
            let f = try SafeTensorsFile.read(path)
            tensors = f.tensors.map { ($0.name, $0.array) }
            metadata = f.metadata
        } else {
            throw GraphError.invalidSpec(file: path, reason: "expected a .safetensors or .npz model file")
        }
        do {
            var (net, layout) = try perceptron(tensors: tensors, spec: spec)
            layout.metadata = metadata
            return (net, layout)
        } catch GraphError.invalidGraph(let reason) {
            throw GraphError.invalidSpec(file: path, reason: reason)
        }
    }

    /// Builds a perceptron from named arrays (see ``load(tensorFile:spec:)``).
    ///
    /// - Throws: ``GraphError/invalidGraph(_:)`` naming the tensor and the problem.
    public static func perceptron(tensors: [(String, NDArray)], spec: NetworkNameSpec? = nil) throws
        -> (network: GraphNetwork, layout: NetworkLayout) {
        var byName: [String: NDArray] = [:]
        for (n, a) in tensors { byName[n] = a }
        let names = try spec?.layers ?? sequentialNames(Array(byName.keys))
        var widths: [Int] = [], weights: [[Double]] = [], biases: [[Double]?] = []
        var dtype = DType.float32
        for (l, entry) in names.enumerated() {
            guard let w = byName[entry.weight] else { throw GraphError.invalidGraph("missing tensor '\(entry.weight)'") }
            guard w.rank == 2, w.shape[0] > 0, w.shape[1] > 0 else {
                let hint = w.rank == 4 ? ": a 4-D weight is a convolution; describe the network by a graph spec (.json)"
                    : ""
                throw GraphError.invalidGraph("'\(entry.weight)' has shape \(w.shape), expected 2-D (out × in)" + hint)
            }
            if l == 0 { dtype = w.dtype.isFloatingPoint ? w.dtype : .float32; widths = [w.shape[1]] }
            guard w.shape[1] == widths[l] else {
                throw GraphError.invalidGraph("shape mismatch: layer \(l) has \(w.shape[1]) inputs but layer \(l - 1) "
                    + "has \(widths[l]) outputs (layers: \(names.map(\.weight).joined(separator: ", ")))")
            }
            try requireFinite(w.values, entry.weight)
            var bias: [Double]? = nil
            if let bn = entry.bias {
                guard let b = byName[bn] else { throw GraphError.invalidGraph("missing tensor '\(bn)'") }
                guard b.shape == [w.shape[0]] else {
                    throw GraphError.invalidGraph("'\(bn)' has shape \(b.shape), expected [\(w.shape[0])]")
                }
                try requireFinite(b.values, bn)
                bias = b.values
            }
            widths.append(w.shape[0]); weights.append(w.values); biases.append(bias)
        }
        return (try perceptron(widths: widths, weights: weights, biases: biases), NetworkLayout(names: names, dtype: dtype))
    }

    /// Throws ``GraphError/invalidGraph(_:)`` naming the first NaN or infinite value of tensor `name`.
    private static func requireFinite(_ values: [Double], _ name: String) throws {
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw GraphError.invalidGraph("\(name)[\(i)] is NaN or infinite")
        }
    }

    /// `N.weight` / `N.bias` names ordered by the integer N; every other name is an error.
    static func sequentialNames(_ names: [String]) throws -> [NetworkNameSpec.Entry] {
        var weights: [Int: String] = [:], biases: [Int: String] = [:]
        var stray: [String] = []
        for n in names {
            let parts = n.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 2, let k = Int(parts[0]), k >= 0 {
                if parts[1] == "weight" { weights[k] = n; continue }
                if parts[1] == "bias" { biases[k] = n; continue }
            }
            stray.append(n)
        }
        if !stray.isEmpty {
            throw GraphError.invalidGraph("tensors \(stray.sorted()) do not follow nn.Sequential names (N.weight, "
                                          + "N.bias) of a perceptron: give a layer-name spec (--spec), or describe "
                                          + "a convolutional or residual network by a graph spec (.json)")
        }
        if let orphan = biases.keys.first(where: { weights[$0] == nil }) {
            throw GraphError.invalidGraph("'\(biases[orphan]!)' has no matching weight")
        }
        guard !weights.isEmpty else { throw GraphError.invalidGraph("no N.weight tensors found") }
        return weights.keys.sorted().map { NetworkNameSpec.Entry(weight: weights[$0]!, bias: biases[$0]) }
    }

    /// The named arrays of this perceptron in `layout` (biases that were absent and are still zero stay absent).
    /// Each tensor is stored in `layout.dtype`, or in `preferred` (e.g. FP8 codes) when every value is
    /// representable there, or in float64 when the values are not representable in `layout.dtype`.
    ///
    /// - Throws: ``GraphError/unsupported(_:)`` if the graph is not a perceptron, ``GraphError/mismatch(_:)`` if
    ///   the layout has a different number of layers.
    public func tensors(layout: NetworkLayout, preferred: DType? = nil) throws -> [(String, NDArray)] {
        guard let chain = DenseChain(self) else {
            throw GraphError.unsupported("only a multilayer perceptron (linear/relu chain) is stored as bare tensors; "
                                         + "save other graphs with save(spec:)")
        }
        guard layout.names.count == chain.layers.count else {
            throw GraphError.mismatch("layout has \(layout.names.count) layers, network \(chain.layers.count)")
        }
        func store(_ values: [Double], _ shape: [Int]) throws -> NDArray {
            var dt = layout.dtype
            if let p = preferred, p.canRepresent(values) { dt = p } else if !dt.canRepresent(values) { dt = .float64 }
            return try NDArray(shape: shape, values: values, dtype: dt)
        }
        var out: [(String, NDArray)] = []
        for (layer, entry) in zip(chain.layers, layout.names) {
            out.append((entry.weight, try store(layer.weight, [layer.outputs, layer.inputs])))
            var biasName = entry.bias
            if biasName == nil, layer.bias.contains(where: { $0 != 0 }) {
                biasName = entry.weight.hasSuffix("weight") ? String(entry.weight.dropLast(6)) + "bias" : entry.weight + ".bias"
            }
            if let bn = biasName { out.append((bn, try store(layer.bias, [layer.outputs]))) }
        }
        return out
    }

    /// Writes this perceptron to a `.safetensors` (with `metadata` in `__metadata__`) or `.npz` file (no
    /// metadata), atomically, refusing to overwrite any of `inputs`. See ``tensors(layout:preferred:)`` for dtypes.
    ///
    /// - Throws: as ``tensors(layout:preferred:)``, ``GraphError/invalidSpec(file:reason:)`` for another extension,
    ///   ``FileFormatError`` for write failures.
    public func save(tensorFile path: String, layout: NetworkLayout, metadata: [String: String] = [:],
                     preferred: DType? = nil, refusingToOverwrite inputs: [String] = []) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".npz") {
            let t = try tensors(layout: layout, preferred: preferred?.npyDescr == nil ? nil : preferred)
            try NPZ.write(t.map { (name: $0.0, array: $0.1) }, to: path, refusingToOverwrite: inputs)
        } else if lower.hasSuffix(".safetensors") {
            let t = try tensors(layout: layout, preferred: preferred)
            let file = SafeTensorsFile(tensors: t.map { .init(name: $0.0, array: $0.1) }, metadata: metadata)
            try file.write(to: path, refusingToOverwrite: inputs)
        } else {
            throw GraphError.invalidSpec(file: path, reason: "output must end in .safetensors or .npz")
        }
    }
}
