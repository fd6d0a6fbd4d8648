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
    public static func read(_ path: String) throws -> NetworkNameSpec {
        try parse(String(decoding: try FileBytes.read(path), as: UTF8.self))
    }
    /// Parses the JSON text of a spec.
    public static func parse(_ json: String) throws -> NetworkNameSpec {
        do { return try JSONDecoder().decode(NetworkNameSpec.self, from: Data(json.utf8)) } catch {
            throw NetworkError.naming("invalid layer-name spec: \(error)")
        }
    }
}

/// Where a network came from: its tensor names, storage dtype and file kind, so it can be written back in the
/// same layout.
public struct NetworkLayout: Sendable, Equatable {
    /// One entry per layer (`bias == nil`: the file had no bias for that layer).
    public var names: [NetworkNameSpec.Entry]
    /// The floating-point dtype of the weights in the file (written back the same, see ``NetworkIO``).
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

/// Reading and writing ``ReLUNetwork``s as safetensors or `.npz` files with PyTorch names.
public enum NetworkIO {
    /// Reads a network from a `.safetensors` or `.npz` file, mapping names with `spec` if given, else by the
    /// `nn.Sequential` convention (`N.weight`/`N.bias` with increasing integer prefixes N; biases optional).
    ///
    /// - Throws: ``FileFormatError`` for unreadable files, ``NetworkError`` for names, shapes, NaN/Inf.
    public static func load(_ path: String, spec: NetworkNameSpec? = nil) throws -> (network: ReLUNetwork, layout: NetworkLayout) {
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
            throw NetworkError.naming("\(path): expected a .safetensors or .npz model file")
        }
        do {
            var (net, layout) = try build(tensors: tensors, spec: spec)
            layout.metadata = metadata
            return (net, layout)
        } catch let e as NetworkError {
            throw NetworkError.naming("\(path): \(e.description)")
        }
    }

    /// Builds a network from named arrays (see ``load(_:spec:)``).
    public static func build(tensors: [(String, NDArray)], spec: NetworkNameSpec? = nil) throws -> (network: ReLUNetwork, layout: NetworkLayout) {
        var byName: [String: NDArray] = [:]
        for (n, a) in tensors { byName[n] = a }
        let names = try spec?.layers ?? sequentialNames(Array(byName.keys))
        var layers: [DenseLayer] = []
        var dtype = DType.float32
        for (l, entry) in names.enumerated() {
            guard let w = byName[entry.weight] else { throw NetworkError.naming("missing tensor '\(entry.weight)'") }
            guard w.rank == 2 else { throw NetworkError.shape("'\(entry.weight)' has shape \(w.shape), expected 2-D (out × in)") }
            if l == 0 { dtype = w.dtype.isFloatingPoint ? w.dtype : .float32 }
            var bias: [Double]? = nil
            if let bn = entry.bias {
                guard let b = byName[bn] else { throw NetworkError.naming("missing tensor '\(bn)'") }
                guard b.shape == [w.shape[0]] else {
                    throw NetworkError.shape("'\(bn)' has shape \(b.shape), expected [\(w.shape[0])]")
                }
                bias = b.values
            }
            do {
                layers.append(try DenseLayer(weight: w.values, bias: bias, inputs: w.shape[1], outputs: w.shape[0]))
            } catch NetworkError.notFinite(let what, let i) {
                throw NetworkError.notFinite("\(what == "bias" ? entry.bias ?? "bias" : entry.weight)", index: i)
            }
        }
        do {
            return (try ReLUNetwork(layers: layers), NetworkLayout(names: names, dtype: dtype))
        } catch NetworkError.shape(let s) {
            throw NetworkError.shape("\(s) (layers: \(names.map(\.weight).joined(separator: ", ")))")
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
            throw NetworkError.naming("tensors \(stray.sorted()) do not follow nn.Sequential names (N.weight, N.bias); "
                                      + "give a layer-name spec")
        }
        if let orphan = biases.keys.first(where: { weights[$0] == nil }) {
            throw NetworkError.naming("'\(biases[orphan]!)' has no matching weight")
        }
        guard !weights.isEmpty else { throw NetworkError.naming("no N.weight tensors found") }
        return weights.keys.sorted().map { NetworkNameSpec.Entry(weight: weights[$0]!, bias: biases[$0]) }
    }

    /// The named arrays for `network` in `layout` (biases that were absent and are still zero stay absent).
    /// Each tensor is stored in `layout.dtype`, or in `preferred` (e.g. FP8 codes) when every value is
    /// representable there, or in float64 when the values are not representable in `layout.dtype`.
    public static func tensors(of network: ReLUNetwork, layout: NetworkLayout,
                               preferred: DType? = nil) throws -> [(String, NDArray)] {
        guard layout.names.count == network.layers.count else {
            throw NetworkError.shape("layout has \(layout.names.count) layers, network \(network.layers.count)")
        }
        func store(_ values: [Double], _ shape: [Int]) throws -> NDArray {
            var dt = layout.dtype
            if let p = preferred, p.canRepresent(values) { dt = p } else if !dt.canRepresent(values) { dt = .float64 }
            return try NDArray(shape: shape, values: values, dtype: dt)
        }
        var out: [(String, NDArray)] = []
        for (layer, entry) in zip(network.layers, layout.names) {
            out.append((entry.weight, try store(layer.weight, [layer.outputs, layer.inputs])))
            var biasName = entry.bias
            if biasName == nil, layer.bias.contains(where: { $0 != 0 }) {
                biasName = entry.weight.hasSuffix("weight") ? String(entry.weight.dropLast(6)) + "bias" : entry.weight + ".bias"
            }
            if let bn = biasName { out.append((bn, try store(layer.bias, [layer.outputs]))) }
        }
        return out
    }

    /// Writes `network` to a `.safetensors` (with `metadata` in `__metadata__`) or `.npz` file (no metadata),
    /// atomically, refusing to overwrite any of `inputs`. See ``tensors(of:layout:preferred:)`` for dtypes.
    public static func save(_ network: ReLUNetwork, to path: String, layout: NetworkLayout,
                            metadata: [String: String] = [:], preferred: DType? = nil,
                            refusingToOverwrite inputs: [String] = []) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".npz") {
            let t = try tensors(of: network, layout: layout, preferred: preferred?.npyDescr == nil ? nil : preferred)
            try NPZ.write(t.map { (name: $0.0, array: $0.1) }, to: path, refusingToOverwrite: inputs)
        } else if lower.hasSuffix(".safetensors") {
            let t = try tensors(of: network, layout: layout, preferred: preferred)
            let file = SafeTensorsFile(tensors: t.map { .init(name: $0.0, array: $0.1) }, metadata: metadata)
            try file.write(to: path, refusingToOverwrite: inputs)
        } else {
            throw NetworkError.naming("\(path): output must end in .safetensors or .npz")
        }
    }
}
