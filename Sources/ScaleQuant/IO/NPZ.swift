/// Reading and writing NumPy `.npz` archives: ZIP files whose members are `.npy` files named `<key>.npy`.
public enum NPZ {
    /// Reads every array of the archive at `path`, in archive order, keyed by member name without `.npy`.
    ///
    /// Both `numpy.savez` (stored) and `numpy.savez_compressed` (deflate) archives are read.
    /// - Throws: ``FileFormatError`` naming the file (and member) and the problem.
    public static func read(_ path: String) throws -> [(name: String, array: NDArray)] {
        try decode(try FileBytes.read(path), name: path)
    }

    /// Reads the archive at `path` as a dictionary keyed by array name.
    ///
    /// - Throws: ``FileFormatError`` as ``read(_:)``, or if two members have the same name.
    public static func readDictionary(_ path: String) throws -> [String: NDArray] {
        var out: [String: NDArray] = [:]
        for (name, array) in try read(path) {
            guard out.updateValue(array, forKey: name) == nil else {
                throw FileFormatError.malformed(file: path, reason: "array '\(name)' appears twice")
            }
        }
        return out
    }

    /// Decodes `.npz` bytes; `name` is used in error messages.
    ///
    /// - Throws: ``FileFormatError`` naming `name` and the problem.
    public static func decode(_ bytes: [UInt8], name: String = "<npz>") throws -> [(name: String, array: NDArray)] {
        try ZipArchive.read(bytes, file: name).map { member in
            let key = member.name.hasSuffix(".npy") ? String(member.name.dropLast(4)) : member.name
            return (key, try NPY.decode(member.data, name: "\(name)/\(member.name)"))
        }
    }

    /// Encodes arrays as an uncompressed `.npz` archive (like `numpy.savez`), members in the given order.
    ///
    /// - Throws: ``FileFormatError`` if a name is empty or repeated, or an array cannot be stored in `.npy`.
    public static func encode(_ arrays: [(name: String, array: NDArray)], name: String = "<npz>") throws -> [UInt8] {
        var seen = Set<String>()
        var members: [ZipArchive.Member] = []
        for (key, array) in arrays {
            guard !key.isEmpty, seen.insert(key).inserted else {
                throw FileFormatError.malformed(file: name, reason: "array name '\(key)' is empty or repeated")
            }
            members.append(.init(name: key + ".npy", data: try NPY.encode(array, name: "\(name)/\(key).npy")))
        }
        return try ZipArchive.write(members, file: name)
    }

    /// Writes arrays to `path` atomically as an uncompressed `.npz` archive, members in the given order.
    ///
    /// - Parameter inputs: paths the caller read from; the write is refused if `path` is one of them.
    /// - Throws: ``FileFormatError`` as ``encode(_:name:)``, or if the file cannot be written.
    public static func write(_ arrays: [(name: String, array: NDArray)], to path: String,
                             refusingToOverwrite inputs: [String] = []) throws {
        try writeAtomically(try encode(arrays, name: path), to: path, refusingToOverwrite: inputs)
    }

    /// Writes a dictionary of arrays to `path` atomically, members sorted by name.
    ///
    /// - Throws: ``FileFormatError`` as ``write(_:to:refusingToOverwrite:)``.
    public static func write(_ arrays: [String: NDArray], to path: String,
                             refusingToOverwrite inputs: [String] = []) throws {
        try write(arrays.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: path, refusingToOverwrite: inputs)
    }
}
