extension GraphQuantizer {
    /// Quantizes `graph` with one method of ``QuantizationMethodCatalog``, by name, on `grids`: the entry point of
    /// the CLI, the C interface, the reports and the experiments.
    ///
    /// - Data-free methods go to ``quantize(_:method:grids:options:)``; `rtn-channel` is `rtn` on the per-channel
    ///   version of the weight grids (``GridChoice/perChannel``; biases keep the given grids); the modifier `+bc`
    ///   applies ``BiasCorrection`` on `calibration` to the answer.
    /// - `gptq`: ``GPTQ`` on the (folded) input, on grids resolved for it (integer steps and scales from its
    ///   maxima, as RTN's).
    /// - `data`: ``GraphDataAwareQuantizer/quantize(_:grids:calibration:count:options:)``.
    ///
    /// - Throws: ``GraphError`` (unknown method, a method that does not apply to the graph or the grids, a
    ///   calibrated method without calibration, bad calibration), ``FormatError``.
    public static func quantize(_ graph: GraphNetwork, method: String, grids: GraphGridSpec,
                                calibration: (inputs: [Double], count: Int)?,
                                options: GraphCoordinateDescentOptions) throws -> GraphQuantizationResult {
        guard let entry = QuantizationMethodCatalog.named(method) else {
            throw GraphError.invalidArgument("unknown method '\(method)': expected one of "
                                             + QuantizationMethodCatalog.names(graphs: false).joined(separator: ", ")
                                             + " (a data-free one may end in +bc: bias correction)")
        }
        var spec = grids
        if entry.perChannel {
            guard let channel = grids.weights.perChannel else {
                throw GraphError.unsupported("method \(entry.name) needs intN or a float format with a largest "
                                             + "finite value (a per-channel scale cannot apply to \(grids.weights))")
            }
            spec = GraphGridSpec(weights: channel, biases: grids.biases ?? grids.weights)
        }
        if entry.needsCalibration && calibration == nil {
            throw GraphError.invalidArgument("method \(entry.name) needs calibration inputs (--calib X.npy)")
        }
        if let m = entry.method {
            let r = try quantize(graph, method: m, grids: spec, options: options)
            guard entry.biasCorrection, let calibration else { return r }
            try GraphDataAwareQuantizer.checkCalibration(graph, calibration.inputs, count: calibration.count)
            let folded = try graph.foldingBatchNorm()
            let corrected = try BiasCorrection.corrected(r.network, original: folded, grids: r.grids,
                                                         calibration: calibration.inputs, samples: calibration.count)
            var out = try result(method: m, original: folded, quantized: corrected, foldedBatchNorm: r.foldedBatchNorm,
                                 grids: r.grids, sweeps: r.sweeps, history: r.history, scalings: r.scalings)
            out.notes = r.notes
            return out
        }
        guard let calibration else { preconditionFailure("checked above") }
        switch entry.calibrated! {
        case .gptq:
            try GraphDataAwareQuantizer.checkCalibration(graph, calibration.inputs, count: calibration.count)
            let folded = try graph.foldingBatchNorm()
            let used = try spec.resolve(for: folded)
            let q = try GPTQ.quantize(folded, grids: used, calibration: calibration.inputs, samples: calibration.count)
            var out = try result(method: .rtn, original: folded, quantized: q, foldedBatchNorm: graph.hasBatchNorm,
                                 grids: used, sweeps: 0, history: [], scalings: [])
            out.calibrated = .gptq
            return out
        case .data:
            return try GraphDataAwareQuantizer.quantize(graph, grids: spec, calibration: calibration.inputs,
                                                        count: calibration.count,
                                                        options: GraphDataAwareOptions(pathMetric: options)).quantization
        }
    }
}
