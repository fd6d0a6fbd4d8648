import Foundation
import ScaleQuant

/// Quantizes a convolutional or residual ReLU network given as a graph spec (`scalequant-graph` v1 JSON plus its
/// safetensors weights) and writes the result next to `out_path`: `scalequant quantize SPEC --format F --method M
/// [--bias-format B] [--calib X.npy] [--max-sweeps S] -o OUT --json`, sharing the CLI's writer
/// (``GraphQuantizationResult/save(spec:input:layout:method:format:biasFormat:dtype:)``, dtype `auto`).
///
/// Arguments:
/// - `spec_path`, `out_path`: UTF-8 paths; `out_path` must end in `.json` (its weights go to the same path with
///   `.safetensors`) and neither output may be the input spec or its weights file;
/// - `weight_format`, `bias_format` (NULL: the weight format): format names as ``sq_quantize_mlp`` reads them
///   (`intN` without `@STEP`: per-node step from the reference, as the CLI);
/// - `method`: 0 rtn, 1 cle, 4 cd (exact coordinate descent on the ℓ² path-metric), 5 data (rescaling and error
///   feedback on the output error on `calib`, ``GraphDataAwareQuantizer``), 6 rtn-channel, 7 gptq, and any
///   data-free code plus 100 for its `+bc` variant (bias correction on `calib`); 2 exact (one hidden layer) and 3 l2r for specs
///   that are perceptrons only (else status 4, the library's message; revision 3). A perceptron spec gets the
///   dense-chain solvers, the results of ``sq_quantize_mlp`` bit for bit (for data: `max_sweeps` then bounds
///   cd's sweeps and each layer's data-aware sweeps);
/// - `calib`: for the calibrated methods only (5, 7, ≥ 100; else NULL), `n_samples` ≥ 1 calibration inputs of the graph's input size C·H·W
///   each, row-major NCHW, finite;
/// - `max_sweeps` ≥ 1: as `--max-sweeps` (cd's sweeps; for data, the path-metric start's sweeps and
///   min(3, `max_sweeps`) data-aware sweeps);
/// - `out_stats`: 10 doubles `[l2_path_metric, relative_l2_path_metric, l1_path_metric_bound,
///   certified_output_bound (radius 1), sweeps, folded_batch_norm (0/1), calibration_samples,
///   start_calibration_squared_error, calibration_squared_error, start]`, the numbers of the CLI's `--json` output
///   against the batch-norm-folded input (NaN where it prints null; sweeps 0 for rtn and cle; the last four 0,
///   NaN, NaN, NaN unless method 5). `start` codes the CLI's `start`: 0 cd, 1 rtn, 2 rtn-max, 3 cle, 4 gptq,
///   5 gptq-cle, 6 gptq-data.
///
/// Status 1 for null or empty paths, an output not ending in `.json` or equal to an input, an unknown method
/// code, `max_sweeps` < 1, a missing `calib` for method 5 or a `calib` for another method, `n_samples` < 1 or too
/// large, an unreadable or invalid spec or weights file, a write failure; 2 for an unknown format; 3 for a NaN or
/// infinite calibration value (its flat index in the message); 4 for exact or l2r on a graph that is not a
/// perceptron (exact: with more than one hidden layer) or batch norms that cannot be folded.
@_cdecl("sq_quantize_graph")
public func sq_quantize_graph(_ specPath: UnsafePointer<CChar>?, _ outPath: UnsafePointer<CChar>?,
                              _ weightFormat: UnsafePointer<CChar>?, _ biasFormat: UnsafePointer<CChar>?,
                              _ method: Int32, _ calib: UnsafePointer<Double>?, _ nSamples: Int64,
                              _ maxSweeps: Int64, _ outStats: UnsafeMutablePointer<Double>?,
                              _ err: UnsafeMutablePointer<CChar>?, _ errLen: Int64) -> Int32 {
    guarded(err, errLen) {
        let input = try pathArgument(specPath, "spec_path")
        let output = try pathArgument(outPath, "out_path")
        guard let entry = QuantizationMethodCatalog.coded(method) else {
            throw CABIError(SQStatus.invalidArgument,
                            "unknown method code \(method) (\(QuantizationMethodCatalog.codeList()))")
        }
        let methodName = entry.name
        let formatName = try formatArgument(weightFormat, "weight_format")
        let biasName = biasFormat == nil ? nil : try formatArgument(biasFormat, "bias_format")
        let grids = try gridSpec(weightFormat, biasFormat)
        guard maxSweeps >= 1 else {
            throw CABIError(SQStatus.invalidArgument, "max_sweeps is \(maxSweeps): it must be at least 1")
        }
        guard let stats = outStats else { throw CABIError(SQStatus.invalidArgument, "out_stats is a null pointer") }
        let dataAware = entry.needsCalibration
        if dataAware && calib == nil {
            throw CABIError(SQStatus.invalidArgument,
                            "method \(method) (\(methodName)) needs calibration inputs: calib is a null pointer")
        }
        if !dataAware && calib != nil {
            throw CABIError(SQStatus.invalidArgument,
                            "calib is used by the calibrated methods only (5 data, 7 gptq, codes ≥ 100: +bc): pass NULL")
        }
        guard URL(fileURLWithPath: output).pathExtension.lowercased() == "json" else {
            throw CABIError(SQStatus.invalidArgument,
                            "out_path must be a spec path ending in .json (its weights go next to it, .safetensors)")
        }
        let (graph, layout) = try GraphNetwork.loadWithLayout(spec: URL(fileURLWithPath: input))
        var options = GraphCoordinateDescentOptions()
        options.maxSweeps = Int(Swift.min(maxSweeps, Int64(Int32.max)))
        var calibration: (inputs: [Double], count: Int)?
        if dataAware {
            let size = graph.inputSize
            let (cells, overflow) = Int(clamping: nSamples).multipliedReportingOverflow(by: size)
            guard nSamples >= 1, !overflow, cells <= Int(maxElements) else {
                throw CABIError(SQStatus.invalidArgument,
                                "n_samples is \(nSamples): it must be at least 1, and n_samples × the input size "
                                    + "(\(size)) at most \(maxElements)")
            }
            calibration = (try finiteDoubles(calib, cells, "calib"), Int(nSamples))
        }
        let result = try GraphQuantizer.quantize(graph, method: methodName, grids: grids, calibration: calibration,
                                                 options: options)
        let count = calibration?.count ?? 0
        try result.save(spec: URL(fileURLWithPath: output), input: URL(fileURLWithPath: input), layout: layout,
                        method: methodName, format: formatName, biasFormat: biasName, dtype: .auto)
        // The CLI's comparison metrics: the folded input against the result (both folded once more, a no-op).
        let fa = try graph.foldingBatchNorm().foldingBatchNorm(), fb = try result.network.foldingBatchNorm()
        stats.writeMetrics(try PathMetrics(original: fa, quantized: fb))
        stats[4] = Double(result.sweeps)
        stats[5] = result.foldedBatchNorm ? 1 : 0
        stats[6] = Double(count)
        stats[7] = result.calibrationErrors.first ?? .nan
        stats[8] = result.calibrationErrors.last ?? .nan
        stats[9] = result.calibrationStart.flatMap { graphStartNames.firstIndex(of: $0).map(Double.init) } ?? .nan
    }
}

/// The data-aware starts in the order of their codes in ``sq_quantize_graph``'s `out_stats[9]`.
let graphStartNames = ["cd", "rtn", "rtn-max", "cle", "gptq", "gptq-cle", "gptq-data"]

/// A non-empty UTF-8 path from a C string.
func pathArgument(_ p: UnsafePointer<CChar>?, _ label: String) throws -> String {
    guard let p else { throw CABIError(SQStatus.invalidArgument, "\(label) is a null pointer") }
    guard let s = String(validatingCString: p) else {
        throw CABIError(SQStatus.invalidArgument, "\(label) is not valid UTF-8")
    }
    guard !s.isEmpty else { throw CABIError(SQStatus.invalidArgument, "\(label) is empty") }
    return s
}

/// A format name as given (for the metadata), from a C string.
func formatArgument(_ p: UnsafePointer<CChar>?, _ label: String) throws -> String {
    guard let p else { throw CABIError(SQStatus.invalidArgument, "\(label) is a null pointer") }
    guard let s = String(validatingCString: p) else {
        throw CABIError(SQStatus.invalidFormat, "\(label) is not valid UTF-8")
    }
    return s
}
