import Foundation

/// The storage dtype of a quantized graph's weights file (`--dtype` of `scalequant quantize` on a graph spec).
public enum GraphOutputDType: String, CaseIterable, Sendable {
    /// The input's dtype (for graphs the same as ``input``).
    case auto
    /// The dtype of the input's weights file (its first floating tensor).
    case input
    /// binary32 (values it cannot hold exactly are written as float64).
    case float32
    /// binary64.
    case float64
}

extension GraphNetwork {
    /// The weights file a graph spec names in its `weights` field (resolved against the spec's folder unless
    /// absolute), or nil if the spec cannot be read or has no such field. Reads the JSON only, not the weights.
    public static func weightsURL(spec: URL) -> URL? {
        guard let data = FileManager.default.contents(atPath: spec.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let name = object["weights"] as? String else { return nil }
        if name.hasPrefix("/") { return URL(fileURLWithPath: name) }
        return spec.deletingLastPathComponent().appendingPathComponent(name)
    }
}

extension GraphQuantizationResult {
    /// Writes the quantized graph as `scalequant quantize MODEL.json -o OUT.json` does: the spec `output` and its
    /// safetensors weights next to it (`output` with the extension `.safetensors`), keeping the input's tensor
    /// names, with the spec's description followed by `quantized: METHOD, FORMAT` and the weights file's metadata
    /// being the input's plus `format`, `bias_format` (`biasFormat`, else `format`), `method`, `l2_path_metric`
    /// (``NumberText/shortest(_:)`` of ``l2PathMetric``) and `folded_batch_norm` (`yes`/`no`). Neither output may
    /// be the input spec or the weights file it names.
    ///
    /// - Parameters:
    ///   - output: the JSON spec to write.
    ///   - input: the spec the graph was loaded from (protected from overwriting, with its weights file).
    ///   - layout: the input's layout (``GraphNetwork/loadWithLayout(spec:)``).
    ///   - method: the method name written to the metadata and description (e.g. `cd`, `data`).
    ///   - format: the weight format's name as given; `biasFormat` the bias format's (nil: `format`).
    ///   - dtype: the storage dtype (``GraphOutputDType/auto`` and ``GraphOutputDType/input`` keep the input's).
    /// - Throws: as ``GraphNetwork/save(spec:weights:layout:metadata:refusingToOverwrite:)``, in particular
    ///   ``FileFormatError/refusingToOverwriteInput(file:)``.
    public func save(spec output: URL, input: URL, layout: GraphLayout, method: String, format: String,
                     biasFormat: String? = nil, dtype: GraphOutputDType = .auto) throws {
        var outLayout = layout
        switch dtype {
        case .float32: outLayout.dtype = .float32
        case .float64: outLayout.dtype = .float64
        case .auto, .input: break
        }
        outLayout.description = (layout.description.isEmpty ? "" : layout.description + "; ")
            + "quantized: \(method), \(format)"
        var metadata = layout.metadata
        metadata["format"] = format
        metadata["bias_format"] = biasFormat ?? format
        metadata["method"] = method
        metadata["l2_path_metric"] = NumberText.shortest(l2PathMetric)
        metadata["folded_batch_norm"] = foldedBatchNorm ? "yes" : "no"
        let inputs = [input] + (GraphNetwork.weightsURL(spec: input).map { [$0] } ?? [])
        try network.save(spec: output, layout: outLayout, metadata: metadata, refusingToOverwrite: inputs)
    }
}
