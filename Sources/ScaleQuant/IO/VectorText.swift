/// Plain-text vectors: numbers separated by whitespace, commas or newlines; `#` starts a comment to end of line.
public enum VectorText {
    /// Parses the text of a vector file; `name` is used in error messages.
    ///
    /// Accepts anything Swift's `Double(String)` accepts: decimal and hexadecimal floats, `inf`, `nan`.
    /// - Throws: ``FileFormatError/malformed(file:reason:)`` naming the line and the token that does not parse.
    public static func parse(_ text: String, name: String = "<text>") throws -> [Double] {
        var values: [Double] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for token in content.split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
                guard let v = Double(token) else {
                    throw FileFormatError.malformed(file: name, reason: "line \(lineNumber): '\(token)' is not a number")
                }
                values.append(v)
            }
        }
        return values
    }

    /// Reads a text vector file.
    ///
    /// - Throws: ``FileFormatError`` if the file cannot be read, is not UTF-8, or has a token that does not parse.
    public static func read(_ path: String) throws -> [Double] {
        let bytes = try FileBytes.read(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FileFormatError.malformed(file: path, reason: "not a UTF-8 text file")
        }
        return try parse(text, name: path)
    }

    /// Writes one value per line (shortest round-tripping decimal) to `path` atomically.
    ///
    /// - Throws: ``FileFormatError`` if the file cannot be written or `path` is one of `inputs`.
    public static func write(_ values: [Double], to path: String, refusingToOverwrite inputs: [String] = []) throws {
        let text = values.map { "\($0)\n" }.joined()
        try writeAtomically(Array(text.utf8), to: path, refusingToOverwrite: inputs)
    }
}

/// Loads a vector for the command line, choosing the reader by extension: `.npy` (a 0-D or 1-D array, or an
/// n-D array with at most one dimension larger than 1), otherwise text (see ``VectorText``).
///
/// - Throws: ``FileFormatError`` naming the file and the problem.
public func loadVector(_ path: String) throws -> [Double] {
    if path.lowercased().hasSuffix(".npy") {
        let array = try NPY.read(path)
        guard array.shape.filter({ $0 != 1 }).count <= 1 else {
            throw FileFormatError.malformed(file: path, reason: "expected a vector but the array has shape "
                                            + "\(array.shape); reshape it to 1-D")
        }
        return array.values
    }
    return try VectorText.read(path)
}
