/// How one kind of parameter (weights or biases) is rounded in every layer (or node) of a network.
public enum GridChoice: Sendable {
    /// The same grid in every layer.
    case fixed(any NumberGrid)
    /// Symmetric integer grid `s_ℓ·{−q…q}`, q = 2^(bits−1) − 1, with a per-layer step s_ℓ = max|·|/q over the
    /// layer's weights (or biases) of a *reference* network (see ``GraphGridSpec``).
    case integerPerLayer(bits: Int)

    /// The choice a format name stands for wherever a network is quantized (CLI, C interface, reports,
    /// experiments): `intN` without `@STEP` is an integer grid with a per-layer step (a fixed step would not fit
    /// layers of different ranges); any other name is the fixed grid ``FormatCatalog/grid(named:)`` parses, e.g.
    /// `int8@0.125`, `e4m3`, `p=4`. Case-insensitive.
    ///
    /// - Throws: ``FormatError/invalid(_:)`` for `intN` with N outside 2…53 (a step of 2^(N−1) − 1 levels must be
    ///   exact in a Double), ``FormatError/unknownName(_:)`` for names that do not parse.
    public init(format name: String) throws {
        let key = name.lowercased()
        if key.hasPrefix("int"), !key.contains("@"), let bits = Int(key.dropFirst(3)) {
            guard (2...53).contains(bits) else { throw FormatError.invalid("integer formats need 2…53 bits, got \(bits)") }
            self = .integerPerLayer(bits: bits)
            return
        }
        self = .fixed(try FormatCatalog.grid(named: name))
    }
}
