/// The contents of a safetensors file: named tensors and the free-form `__metadata__` string map.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON header
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`, then the data buffer.
public struct SafeTensorsFile: Sendable, Equatable {
    /// One named tensor.
    public struct Tensor: Sendable, Equatable {
        /// The tensor's name (for example `model.layers.0.weight`).
        public var name: String
        /// Shape, values and storage dtype.
        public var array: NDArray

        /// Creates a named tensor.
        public init(name: String, array: NDArray) {
            self.name = name
            self.array = array
        }
    }

    /// The tensors; after reading, in data-buffer order.
    public var tensors: [Tensor]
    /// The `__metadata__` entries (empty if the file has none).
    public var metadata: [String: String]

    /// The largest header accepted, 100 MB (the reference implementation's limit).
    public static let maxHeaderLength = 100_000_000

    /// Creates a file's contents.
    public init(tensors: [Tensor] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor with this name, if any.
    public subscript(name: String) -> NDArray? {
        tensors.first { $0.name == name }?.array
    }

    /// Reads the safetensors file at `path`.
    ///
    /// - Throws: ``FileFormatError`` naming the file (and tensor) and the problem.
    public static func read(_ path: String) throws -> SafeTensorsFile {
        try decode(try FileBytes.read(path), name: path)
    }

    /// Writes the tensors and metadata to `path` atomically; see ``encode(name:)`` for the layout.
    ///
    /// - Parameter inputs: paths the caller read from; the write is refused if `path` is one of them.
    /// - Throws: ``FileFormatError`` if a name repeats, a value is not representable in its tensor's dtype, or the
    ///   file cannot be written.
    public func write(to path: String, refusingToOverwrite inputs: [String] = []) throws {
        try writeAtomically(try encode(name: path), to: path, refusingToOverwrite: inputs)
    }

    /// Encodes as safetensors bytes: tensors sorted by name (header and data in the same order), compact JSON
    /// with `__metadata__` first (omitted when empty), header padded with spaces to a multiple of 8 bytes.
    /// Values are stored in each tensor's dtype and must be exactly representable there (for FP8/FP16/BF16 codes
    /// this means the values must already lie on the format's grid).
    ///
    /// - Throws: ``FileFormatError`` if a name is empty, repeats, or is `__metadata__`, or a value is not
    ///   representable.
    public func encode(name file: String = "<safetensors>") throws -> [UInt8] {
        var seen = Set<String>()
        var parts: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.sorted { $0.key < $1.key }.map { jsonString($0.key) + ":" + jsonString($0.value) }
            parts.append("\"__metadata__\":{" + entries.joined(separator: ",") + "}")
        }
        var data: [UInt8] = []
        for t in tensors.sorted(by: { $0.name < $1.name }) {
            guard !t.name.isEmpty, t.name != "__metadata__", seen.insert(t.name).inserted else {
                throw FileFormatError.malformed(file: file, reason: "tensor name '\(t.name)' is empty, reserved or "
                                                + "repeated")
            }
            let begin = data.count
            if let problem = t.array.dtype.encode(t.array.values, into: &data) {
                throw FileFormatError.notRepresentable(file: file, reason: "tensor '\(t.name)': \(problem)")
            }
            let shape = t.array.shape.map(String.init).joined(separator: ",")
            parts.append(jsonString(t.name) + ":{\"dtype\":\"\(t.array.dtype.safetensorsName)\",\"shape\":[\(shape)],"
                         + "\"data_offsets\":[\(begin),\(data.count)]}")
        }
        var header = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        guard header.count <= SafeTensorsFile.maxHeaderLength else {
            throw FileFormatError.unsupported(file: file, reason: "header of \(header.count) bytes exceeds 100 MB")
        }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + data.count)
        out.appendLittleEndian(UInt64(header.count), width: 8)
        return out + header + data
    }
}
