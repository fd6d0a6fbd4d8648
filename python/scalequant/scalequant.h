/*
 * scalequant.h — the C interface of libScaleQuantC (ABI version 1, revision 3).
 *
 * Versioning: sq_abi_version() changes on any incompatible change; sq_abi_revision() counts compatible additions
 * within a version (a caller written for revision r works with any library of the same version and revision >= r):
 *   revision 0: sq_format_info, sq_format_list, sq_round, sq_rank_one, sq_quantize_factors (methods 0-2),
 *               sq_quantize_mlp;
 *   revision 1: method SQ_METHOD_R2L of sq_quantize_factors, sq_quantize_mlp_data, sq_abi_revision.
 *   revision 2: sq_quantize_graph (graph specs: convolutional and residual networks).
 *   revision 3: one network model: sq_quantize_graph also takes SQ_MLP_EXACT and SQ_MLP_L2R for specs that are
 *               perceptrons and quantizes perceptron specs bit for bit as sq_quantize_mlp does (which stays, with
 *               sq_quantize_mlp_data, as a thin wrapper over the same library entry point).
 * A revision-0 library has no sq_abi_revision symbol.
 *
 * Documentation only: the library is written in Swift (@_cdecl functions in Sources/ScaleQuantC); this header
 * states their C signatures. Build: `swift build -c release --product ScaleQuantC` → .build/release/libScaleQuantC.so
 *
 * Conventions (every function but sq_abi_version):
 *   - returns an int32 status: 0 = ok; otherwise one of SQ_ERR_* below;
 *   - takes `char *err, int64_t err_len` last: on return err holds a NUL-terminated UTF-8 message ("" on success),
 *     truncated to err_len - 1 bytes at a character boundary; err may be NULL or err_len 0 (no message);
 *   - arrays are caller-allocated, C-contiguous, double or int64_t; lengths are int64_t, >= 0, at most 2^40;
 *     a pointer may be NULL only when its length is 0;
 *   - NaN and infinite inputs are rejected (SQ_ERR_NOT_FINITE), never rounded;
 *   - no global mutable state: functions are reentrant and may be called from several threads at once;
 *     no input makes the library abort the host process (validated before use);
 *   - format names: presets (binary64/fp64, binary32/fp32, tf32, bfloat16/bf16, binary16/fp16, e5m2, e5m2fnuz,
 *     e4m3/e4m3fn, e4m3fnuz, e3m2, e2m3, e2m1/fp4 and aliases), eXmY[fn|fnuz|finite], p=N, intN, intN@STEP;
 *     case-insensitive.
 * On error, the contents of output arrays are unspecified.
 */
#ifndef SCALEQUANT_H
#define SCALEQUANT_H
#include <stdint.h>

#define SQ_OK 0
#define SQ_ERR_ARGUMENT 1       /* null pointer, bad length/shape/index, duplicate entry, unknown method code */
#define SQ_ERR_FORMAT 2         /* unknown or invalid format name */
#define SQ_ERR_NOT_FINITE 3     /* NaN or infinity in the input */
#define SQ_ERR_UNSUPPORTED 4    /* valid input the method does not apply to: pairwise on overlapping terms, r2l on
                                   factors that are not Kronecker-sparse, exact on an MLP without exactly one hidden
                                   layer, or a problem beyond the solvers' limits (binary64, > 800 binades, 2^±800,
                                   data-aware searches over more than 2^24 rounding boundaries) */
#define SQ_ERR_BUFFER 5         /* output buffer too small */
#define SQ_ERR_INTERNAL 6

#define SQ_METHOD_RTN 0
#define SQ_METHOD_PAIRWISE 1
#define SQ_METHOD_L2R 2
#define SQ_METHOD_R2L 3         /* revision 1: right to left, Kronecker-sparse (butterfly) factors only */

/* Methods of sq_quantize_mlp. */
#define SQ_MLP_RTN 0
#define SQ_MLP_CLE 1
#define SQ_MLP_EXACT 2          /* exactly one hidden layer, else SQ_ERR_UNSUPPORTED */
#define SQ_MLP_L2R 3
#define SQ_MLP_CD 4

/* Method codes of sq_quantize_graph (revision 2): SQ_MLP_RTN, SQ_MLP_CLE, SQ_MLP_CD and SQ_GRAPH_DATA; SQ_MLP_EXACT
 * and SQ_MLP_L2R (revision 3) for specs that are perceptrons only (other graphs: SQ_ERR_UNSUPPORTED). */
#define SQ_GRAPH_DATA 5

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this interface; incremented on any incompatible change. */
int32_t sq_abi_version(void);

/* Revision within the version (compatible additions, see the top of this file); 3 for this header. */
int32_t sq_abi_revision(void);

/* out_values[8] = {precision, emin, emax, max_finite, min_subnormal, min_normal, finite_values, kind};
 * NaN = does not apply, +inf = unbounded; kind: 0 float, 1 idealized (p=N), 2 integer grid. */
int32_t sq_format_info(const char *name, double *out_values, char *err, int64_t err_len);

/* Comma-separated canonical preset names into buf (NUL-terminated); SQ_ERR_BUFFER if buf_len is too small. */
int32_t sq_format_list(char *buf, int64_t buf_len, char *err, int64_t err_len);

/* out[i] = nearest value of the format to in[i] (ties to even, saturating); in == out allowed. */
int32_t sq_round(const char *name, const double *in, double *out, int64_t n, char *err, int64_t err_len);

/* Optimal rank-one quantization of x yᵀ (x: m >= 1 values, y: n >= 1); name_y NULL = same format as x.
 * x_hat[m], y_hat[n]; out_stats[5] = {relative_error, rtn_relative_error, lambda, mu, pieces}. */
int32_t sq_rank_one(const char *name_x, const char *name_y, const double *x, int64_t m, const double *y,
                    int64_t n, double *x_hat, double *y_hat, double *out_stats, char *err, int64_t err_len);

/* Quantize a chain of L = num_factors sparse factors B_0 B_1 ... B_{L-1} given in COO form:
 *   shapes[2L]   (rows_k, cols_k), cols_k == rows_{k+1}, each dimension <= 2^22;
 *   nnz[L]       stored entries per factor;  T = sum of nnz;
 *   rows[T], cols[T], values[T]   the entries of all factors concatenated in factor order (no repeated
 *                position within a factor; explicit zeros allowed and kept at zero);
 *   out_values[T] the quantized values, same order (the pattern is unchanged);
 *   out_stats[5] {relative_error, rtn_relative_error, error_is_exact (1/0), rank_one_problems,
 *                last_pair_optimal (1/0)}; errors are ||prod B - prod B_hat||_F / ||prod B||_F, exact (dense,
 *                blockwise) when the product is at most 4096 x 4096, else estimated with 32 Gaussian probes
 *                (fixed seed).
 * method: SQ_METHOD_RTN, SQ_METHOD_PAIRWISE (SQ_ERR_UNSUPPORTED if the rank-one terms X[:,i] Y[i,:] of a pair
 * overlap), SQ_METHOD_L2R (last pair by rescaling + RTN if it overlaps; last_pair_optimal = 0), SQ_METHOD_R2L
 * (revision 1; the butterfly module's right-to-left method, `scalequant butterfly --method r2l`: B_{L-1} ... B_2
 * rescaled by rows right to left, then the first pair optimally; every factor must have a Kronecker-sparse support
 * I_a (x) 1_{b x c} (x) I_d holding its non-zero entries and at most twice as large as its stored entries (butterfly,
 * Monarch, block-diagonal, dense factors), and the terms of the first pair must not overlap, else
 * SQ_ERR_UNSUPPORTED). */
int32_t sq_quantize_factors(const char *name, int32_t method, int64_t num_factors, const int64_t *shapes,
                            const int64_t *nnz, const int64_t *rows, const int64_t *cols, const double *values,
                            double *out_values, double *out_stats, char *err, int64_t err_len);

/* Quantize a ReLU MLP x -> W_L relu(... relu(W_1 x + b_1) ...) + b_L with L = n_layers >= 1 layers
 * (the result of `scalequant quantize --format weight_format [--bias-format bias_format] --method M --json`):
 *   widths[L+1]  n_0 (inputs), n_1, ..., n_L (outputs), each >= 1;
 *   weights      sum n_l * n_{l-1} doubles: W_1, ..., W_L concatenated, each row-major n_l x n_{l-1}
 *                (W[o][i] connects input i to output o, PyTorch's Linear.weight);
 *   biases       sum n_l doubles concatenated, or NULL for all zeros;
 *   out_weights, out_biases   the quantized parameters, same layout (may alias weights/biases);
 *   out_stats[5] {l2_path_metric (absolute ||Phi(theta) - Phi(theta_hat)||_2),
 *                relative_l2_path_metric (divided by ||Phi(theta)||_2; 0 for a zero network),
 *                l1_path_metric_bound, certified_output_bound (on ||R(x) - R_hat(x)||_1 over ||x||_inf <= 1;
 *                both NaN when the signs of theta and theta_hat disagree), sweeps (cd; 0 otherwise)}.
 * bias_format NULL = weight_format. "intN" without "@STEP" = integer grid with a per-layer step max|.|/(2^(N-1)-1)
 * (N in 2..53), taken from the input (rtn), the equalized network (cle) or the normal form (exact, l2r, cd).
 * method: SQ_MLP_* (cd runs at most 50 sweeps). SQ_ERR_UNSUPPORTED: exact without exactly one hidden layer (the
 * CLI's message), or exact/l2r/cd on a network beyond the rank-one solver's limits (e.g. binary64). */
int32_t sq_quantize_mlp(int64_t n_layers, const int64_t *widths, const double *weights, const double *biases,
                        const char *weight_format, const char *bias_format, int32_t method, double *out_weights,
                        double *out_biases, double *out_stats, char *err, int64_t err_len);

/* Revision 1. Data-aware quantization of the same network on calibration inputs (`scalequant quantize --method data
 * --calib X.npy`): exact per-neuron searches over each hidden neuron's rescaling family minimizing the output error
 * on the calibration data, coordinate descent started from cd's (or RTN's) result, at most 50 sweeps per layer.
 * Parameters as sq_quantize_mlp (no method), plus
 *   calib        n_samples x n_0 doubles, row-major (one input per row), finite;
 *   n_samples    >= 1, with n_samples * max(widths) <= 2^27.
 * out_stats as sq_quantize_mlp, sweeps = total data-aware sweeps. SQ_ERR_NOT_FINITE for a NaN/inf calibration value
 * (flat index in the message); SQ_ERR_UNSUPPORTED for a network beyond the rank-one limits (as cd), a hidden neuron
 * whose search would list more than 2^24 rounding boundaries (binary32, binary64, wide integer grids), or inputs or
 * pre-activations on the calibration data beyond 2^256 in magnitude. */
int32_t sq_quantize_mlp_data(int64_t n_layers, const int64_t *widths, const double *weights, const double *biases,
                             const char *weight_format, const char *bias_format, const double *calib,
                             int64_t n_samples, double *out_weights, double *out_biases, double *out_stats, char *err,
                             int64_t err_len);

/* Revision 2. Quantize a convolutional or residual ReLU network given as a graph spec ("scalequant-graph" v1 JSON
 * and the safetensors weights it names) and write the result (`scalequant quantize SPEC --format weight_format
 * [--bias-format bias_format] --method M [--calib X.npy] --max-sweeps max_sweeps -o OUT --json`; batch norms are
 * folded first):
 *   spec_path    the input spec; out_path the output spec, ending in ".json", its weights written next to it with
 *                ".safetensors" (same tensor names and dtype as the input, metadata format/bias_format/method/
 *                l2_path_metric/folded_batch_norm); neither may be the input spec or its weights file;
 *   method       SQ_MLP_RTN, SQ_MLP_CLE, SQ_MLP_CD or SQ_GRAPH_DATA (SQ_MLP_EXACT, SQ_MLP_L2R: SQ_ERR_UNSUPPORTED);
 *   calib        SQ_GRAPH_DATA only (else NULL): n_samples >= 1 inputs of C*H*W doubles each, row-major NCHW, finite;
 *   max_sweeps   >= 1: cd's sweeps; for SQ_GRAPH_DATA its cd start's, and min(3, max_sweeps) data-aware sweeps;
 *   out_stats[10] {l2_path_metric, relative_l2_path_metric, l1_path_metric_bound, certified_output_bound (radius 1;
 *                the two bounds NaN where the CLI prints null), sweeps (cd and data; 0 otherwise),
 *                folded_batch_norm (0/1), calibration_samples (0 unless data), start_calibration_squared_error,
 *                calibration_squared_error, start (0 cd, 1 rtn, 2 rtn-max, 3 cle; the last three NaN unless
 *                data)}, against the batch-norm-folded input.
 * SQ_ERR_ARGUMENT: null/empty paths, an output not ending in ".json" or equal to an input, calib missing or given
 * for another method, n_samples < 1, max_sweeps < 1, an unreadable or invalid spec or weights file; SQ_ERR_FORMAT:
 * unknown format; SQ_ERR_NOT_FINITE: NaN/inf in calib (flat index in the message). */
int32_t sq_quantize_graph(const char *spec_path, const char *out_path, const char *weight_format,
                          const char *bias_format, int32_t method, const double *calib, int64_t n_samples,
                          int64_t max_sweeps, double *out_stats, char *err, int64_t err_len);

#ifdef __cplusplus
}
#endif
#endif /* SCALEQUANT_H */
