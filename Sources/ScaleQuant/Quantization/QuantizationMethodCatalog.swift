/// The calibrated (data-aware) methods.
public enum CalibratedMethod: String, Sendable, Equatable {
    /// Rescaling-aware data-aware quantization (``GraphQuantizer/quantize(_:method:grids:calibration:options:)``).
    case data
    /// GPTQ layer by layer (``GPTQ``).
    case gptq
}

/// One network quantization method as the user names it: its name, its code in the C interface, and the models
/// it applies to.
public struct QuantizationMethodEntry: Sendable, Equatable {
    /// The name on the command line, in reports and in Python (`rtn`, `cle`, `exact`, `l2r`, `cd`, `data`, …).
    public var name: String
    /// The method code of the C interface (`sq_quantize_graph`'s `method`; 0–4 also `sq_quantize_mlp`'s).
    public var code: Int32
    /// The path-metric (data-free) method, or `nil` for a calibrated one.
    public var method: QuantizationMethod?
    /// The calibrated method, or `nil` for a data-free one.
    public var calibrated: CalibratedMethod? = nil
    /// Whether it applies to multilayer perceptrons (graphs that are linear/relu chains).
    public var perceptrons: Bool
    /// Whether it applies to every other graph (convolutional, residual); `false`: perceptrons only.
    public var graphs: Bool
    /// Whether the weight grids are made per output channel (`rtn-channel`: ``GridChoice/perChannel``).
    public var perChannel = false
    /// Whether bias correction follows (the `+bc` modifier of a data-free method: ``BiasCorrection``).
    public var biasCorrection = false
    /// Whether it needs calibration inputs.
    public var needsCalibration: Bool { method == nil || biasCorrection }
}

/// The registry of network quantization methods: the one list the CLI, the C interface, reports and experiments
/// read names, codes and applicability from (so that a method added here is known everywhere, and a name or a
/// code means the same thing in every entry point).
///
/// Any data-free method takes the modifier `+bc` (bias correction on calibration data after it, e.g. `cle+bc`);
/// its C code is the method's code plus ``biasCorrectionCode``.
public enum QuantizationMethodCatalog {
    /// Every method without modifier, in the order tables and help list them.
    public static let all: [QuantizationMethodEntry] = [
        QuantizationMethodEntry(name: "rtn", code: 0, method: .rtn, perceptrons: true, graphs: true),
        QuantizationMethodEntry(name: "cle", code: 1, method: .cle, perceptrons: true, graphs: true),
        QuantizationMethodEntry(name: "exact", code: 2, method: .exact, perceptrons: true, graphs: false),
        QuantizationMethodEntry(name: "l2r", code: 3, method: .leftToRight, perceptrons: true, graphs: false),
        QuantizationMethodEntry(name: "cd", code: 4, method: .coordinateDescent, perceptrons: true, graphs: true),
        QuantizationMethodEntry(name: "data", code: 5, method: nil, calibrated: .data, perceptrons: true,
                                graphs: true),
        QuantizationMethodEntry(name: "rtn-channel", code: 6, method: .rtn, perceptrons: true, graphs: true,
                                perChannel: true),
        QuantizationMethodEntry(name: "gptq", code: 7, method: nil, calibrated: .gptq, perceptrons: true,
                                graphs: true),
    ]

    /// Added to a data-free method's code for its `+bc` variant.
    public static let biasCorrectionCode: Int32 = 100

    /// The names of the methods for perceptrons (`graphs == false`: every method) or for every graph, in catalog
    /// order.
    public static func names(graphs: Bool) -> [String] {
        all.filter { graphs ? $0.graphs : $0.perceptrons }.map(\.name)
    }

    /// The entry of a name (case-insensitive), if any.
    public static func named(_ name: String) -> QuantizationMethodEntry? {
        let key = name.lowercased()
        if key.hasSuffix("+bc") { return named(String(key.dropLast(3))).flatMap(withBiasCorrection) }
        return all.first { $0.name == key }
    }

    /// The entry of a C method code, if any.
    public static func coded(_ code: Int32) -> QuantizationMethodEntry? {
        if code >= biasCorrectionCode { return coded(code - biasCorrectionCode).flatMap(withBiasCorrection) }
        return all.first { $0.code == code }
    }

    /// The `+bc` variant of a data-free entry (`nil` for calibrated ones, which correct their biases already).
    private static func withBiasCorrection(_ e: QuantizationMethodEntry) -> QuantizationMethodEntry? {
        guard e.method != nil, !e.biasCorrection else { return nil }
        var out = e
        out.name += "+bc"
        out.code += biasCorrectionCode
        out.biasCorrection = true
        return out
    }

    /// `0 rtn, 1 cle, …` for messages about method codes (all methods, or those with a path-metric method).
    public static func codeList(dataAware: Bool = true) -> String {
        all.filter { dataAware || $0.method != nil }.map { "\($0.code) \($0.name)" }.joined(separator: ", ")
    }
}
