import ScaleQuant

/// The version of the C interface, incremented on any incompatible change.
@_cdecl("sq_abi_version")
public func sq_abi_version() -> Int32 { 1 }

/// The revision of the C interface within its version, incremented on every compatible addition (callers written
/// for revision r work with any library of the same version and revision ≥ r):
/// - 0: sq_format_info, sq_format_list, sq_round, sq_rank_one, sq_quantize_factors (methods 0–2), sq_quantize_mlp;
/// - 1: method 3 (r2l) of sq_quantize_factors, sq_quantize_mlp_data, sq_abi_revision;
/// - 2: sq_quantize_graph (graph specs: convolutional and residual networks, methods rtn, cle, cd, data);
/// - 3: one network model: sq_quantize_graph also takes methods 2 (exact) and 3 (l2r) for graph specs that are
///   perceptrons, and quantizes perceptron specs bit for bit as sq_quantize_mlp does; sq_quantize_mlp and
///   sq_quantize_mlp_data are thin wrappers over the same library entry point;
/// - 4: methods 6 (rtn-channel), 7 (gptq) and data-free codes + 100 (`+bc`) of sq_quantize_graph, 6 of
///   sq_quantize_mlp; format suffixes `/tensor` and `/ch`; `data` is the rescaling search together with GPTQ.
@_cdecl("sq_abi_revision")
public func sq_abi_revision() -> Int32 { 4 }
