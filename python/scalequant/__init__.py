"""ScaleQuant: optimal quantization to low-precision number formats by rescaling invariance.

A thin NumPy layer over the C interface of the ScaleQuant Swift library (``libScaleQuantC``, loaded with ctypes).

Functions
---------
formats, format_info
    The number formats (grids) and their parameters.
round
    Round an array to a format (nearest, ties to even, saturating).
quantize_rank_one
    Optimal quantization of a rank-one matrix x yᵀ (exact global optimum).
quantize_factors
    Quantize a chain of sparse factors (rtn, pairwise, l2r; r2l for butterfly factors).
quantize_faust
    The same for a ``pyfaust.Faust``.
quantize_mlp
    Quantize a ReLU MLP given as an ``nn.Sequential`` state dict (rtn, cle, exact, l2r, cd; data with calibration
    inputs).
quantize_graph
    Quantize a convolutional or residual network given as a graph spec file (rtn, cle, cd; data with calibration
    inputs) and write the result next to it.

Every error reported by the library raises :class:`ScaleQuantError` (a ``ValueError``) with the library's message.
"""
import builtins
import ctypes
import json
import operator
import os
from collections import namedtuple

import numpy as np

from . import _lib

__all__ = [
    "ScaleQuantError", "ScaleQuantTypeError", "RankOneResult", "abi_version", "abi_revision", "formats",
    "format_info", "round",
    "quantize_rank_one", "quantize_factors", "quantize_faust", "quantize_mlp", "quantize_graph", "METHODS",
    "MLP_METHODS", "GRAPH_METHODS",
]
__version__ = "0.1.0"

#: Method names of :func:`quantize_factors` and their C codes.
METHODS = {"rtn": 0, "pairwise": 1, "l2r": 2, "r2l": 3}
_METHOD_ALIASES = {"left_to_right": "l2r", "left-to-right": "l2r", "right_to_left": "r2l", "right-to-left": "r2l",
                   "round": "rtn"}
_KINDS = {0: "float", 1: "idealized", 2: "integer"}
_ERR_LEN = 2048


class ScaleQuantError(ValueError):
    """An error reported by the ScaleQuant library, or invalid input detected before calling it.

    Attributes
    ----------
    code : int or None
        The C status code (1 invalid argument, 2 unknown or invalid format, 3 NaN or infinity, 4 method does not
        apply, 5 buffer too small, 6 internal), or None for errors detected in Python.
    """

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class ScaleQuantTypeError(ScaleQuantError, TypeError):
    """An input array has an unsupported dtype (complex, object, bool, strings…). Also a ``TypeError``."""


def _call(fn, *args):
    err = ctypes.create_string_buffer(_ERR_LEN)
    status = fn(*args, err, _ERR_LEN)
    if status != 0:
        raise ScaleQuantError(err.value.decode("utf-8", errors="replace"), code=status)


def _name(fmt, what="fmt"):
    if not isinstance(fmt, str):
        raise ScaleQuantTypeError("%s must be a format name (str), got %s" % (what, type(fmt).__name__))
    if "\0" in fmt:
        raise ScaleQuantError("%s contains a NUL character" % what)
    return fmt.encode("utf-8")


def _as_float64(a, what):
    """A C-contiguous float64 copy (or view) of a real array; rejects complex, object, bool and non-numbers."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiu":
        raise ScaleQuantTypeError(
            "%s must be a real floating-point (or integer) array, got dtype %s" % (what, arr.dtype))
    return arr.astype(np.float64, order="C", copy=False)


def _ptr(arr, ctype=ctypes.c_double):
    return arr.ctypes.data_as(ctypes.POINTER(ctype))


def abi_version():
    """Version of the C interface of the loaded library (int)."""
    return int(_lib.lib.sq_abi_version())


def abi_revision():
    """Revision of the C interface of the loaded library (int): compatible additions within :func:`abi_version`.

    0: the first release; 1: ``quantize_factors(..., method="r2l")`` and ``quantize_mlp(..., method="data")``;
    2: :func:`quantize_graph`.
    """
    return _lib.revision


def format_info(fmt):
    """Parameters of one number format.

    Parameters
    ----------
    fmt : str
        A format name: a preset (``"e4m3"``, ``"bf16"``, ``"fp16"``, …), ``"eXmY"`` with an optional ``fn``,
        ``fnuz`` or ``finite`` suffix, ``"p=N"`` (idealized grid with N significant bits, unbounded exponent),
        ``"intN"`` or ``"intN@STEP"``.

    Returns
    -------
    dict
        ``name``, ``kind`` (``"float"``, ``"idealized"`` or ``"integer"``), ``precision``, ``emin``, ``emax``
        (int or None), ``max_finite``, ``min_subnormal``, ``min_normal`` (float or None; ``max_finite`` is
        ``inf`` for ``p=N``), ``finite_values`` (int; ``inf`` when unbounded; a float beyond 2^53). The columns of
        ``scalequant formats --json``.

    Raises
    ------
    ScaleQuantError
        For an unknown or invalid name.
    """
    out = np.empty(8, dtype=np.float64)
    _call(_lib.lib.sq_format_info, _name(fmt), _ptr(out))

    def opt_int(v):
        return None if np.isnan(v) else int(v)

    def opt_float(v):
        return None if np.isnan(v) else float(v)

    count = out[6]
    if np.isfinite(count) and count < 2.0 ** 53:
        count = int(count)
    else:
        count = float(count)
    return {
        "name": fmt, "kind": _KINDS.get(int(out[7]), "other"), "precision": opt_int(out[0]),
        "emin": opt_int(out[1]), "emax": opt_int(out[2]), "max_finite": float(out[3]),
        "min_subnormal": opt_float(out[4]), "min_normal": opt_float(out[5]), "finite_values": count,
    }


def formats():
    """The preset number formats.

    Returns
    -------
    list of dict
        One :func:`format_info` dict per preset, widest first (binary64 … e2m1). Parametric families (``p=N``,
        ``intN``, ``eXmY``) are accepted wherever a format is asked for but not listed.
    """
    buf = ctypes.create_string_buffer(4096)
    _call(_lib.lib.sq_format_list, buf, len(buf))
    return [format_info(n) for n in buf.value.decode("utf-8").split(",") if n]


def round(a, fmt):  # noqa: A001 - the natural name; builtins.round stays reachable as builtins.round
    """Round every element to the nearest value of a format (ties to even, saturating at ±max finite).

    Parameters
    ----------
    a : array_like
        Real numbers of any shape (floating-point of any width, or integers); converted to float64.
    fmt : str
        The format (see :func:`format_info`).

    Returns
    -------
    numpy.ndarray
        float64, the same shape as ``a``.

    Raises
    ------
    ScaleQuantError
        Unknown format, or a NaN or infinite element (the message gives its flat index).
    ScaleQuantTypeError
        Complex, object, bool or non-numeric input.
    """
    arr = _as_float64(a, "a")
    out = np.empty_like(arr)
    _call(_lib.lib.sq_round, _name(fmt), _ptr(arr), _ptr(out), arr.size)
    return out


RankOneResult = namedtuple(
    "RankOneResult", ["x_hat", "y_hat", "relative_error", "rtn_relative_error", "lam", "mu", "pieces"])
RankOneResult.__doc__ = """Result of :func:`quantize_rank_one`.

Attributes
----------
x_hat, y_hat : numpy.ndarray
    The quantized vectors (on the grids of x and y).
relative_error : float
    ‖x yᵀ − x̂ ŷᵀ‖_F / ‖x yᵀ‖_F.
rtn_relative_error : float
    The same for round-to-nearest.
lam : float
    A scale λ with x̂ = Q(λ x).
mu : float
    μ = (x·x̂)/‖x̂‖², with ŷ = Q(μ y).
pieces : int
    Number of candidate pieces the sweep evaluated.
"""


def _vector(v, what):
    arr = _as_float64(v, what)
    if arr.ndim != 1:
        raise ScaleQuantError("%s must be 1-D, got shape %s" % (what, arr.shape))
    if arr.size == 0:
        raise ScaleQuantError("%s is empty" % what)
    return arr


def quantize_rank_one(x, y, fmt, fmt_y=None):
    """Optimal quantization of the rank-one matrix x yᵀ: the exact global minimum of ‖x yᵀ − x̂ ŷᵀ‖_F.

    Parameters
    ----------
    x, y : array_like
        1-D real vectors (lengths m, n ≥ 1), finite.
    fmt : str
        Grid of x (and of y unless ``fmt_y`` is given).
    fmt_y : str, optional
        Grid of y.

    Returns
    -------
    RankOneResult
        ``(x_hat, y_hat, relative_error, rtn_relative_error, lam, mu, pieces)``; the same numbers as
        ``scalequant rank1 --json``.

    Raises
    ------
    ScaleQuantError
        Unknown format, NaN/inf, empty or non-1-D input.
    """
    xa, ya = _vector(x, "x"), _vector(y, "y")
    xh, yh, stats = np.empty_like(xa), np.empty_like(ya), np.empty(5)
    _call(_lib.lib.sq_rank_one, _name(fmt), None if fmt_y is None else _name(fmt_y, "fmt_y"),
          _ptr(xa), xa.size, _ptr(ya), ya.size, _ptr(xh), _ptr(yh), _ptr(stats))
    return RankOneResult(xh, yh, float(stats[0]), float(stats[1]), float(stats[2]), float(stats[3]),
                         int(stats[4]))


def _method_code(method):
    if not isinstance(method, str):
        raise ScaleQuantTypeError("method must be a str, got %s" % type(method).__name__)
    key = _METHOD_ALIASES.get(method.lower(), method.lower())
    if key not in METHODS:
        raise ScaleQuantError("unknown method %r (expected one of %s)" % (method, ", ".join(METHODS)))
    return key, METHODS[key]


def _factor_coo(f, k):
    """(shape, rows, cols, values, rebuild) for one factor; rebuild(new_values) gives the same kind of object."""
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - scipy is optional for dense-only use
        sp = None
    if sp is not None and sp.issparse(f):
        fmt = f.format
        if f.dtype.kind not in "fiu":
            raise ScaleQuantTypeError("factor %d: unsupported dtype %s" % (k, f.dtype))
        coo = f.tocoo(copy=False) if fmt != "coo" else f
        rows = np.ascontiguousarray(coo.row, dtype=np.int64)
        cols = np.ascontiguousarray(coo.col, dtype=np.int64)
        vals = np.ascontiguousarray(coo.data, dtype=np.float64)
        if fmt in ("csr", "csc", "coo"):
            # tocoo() keeps the order of .data for these formats: swap the values in place of a copy.
            def rebuild(v, f=f):
                g = f.copy()
                g.data = v
                return g
        else:
            def rebuild(v, coo=coo, fmt=fmt, f=f):
                g = type(coo)((v, (coo.row, coo.col)), shape=coo.shape)
                return g.asformat(fmt)
        return f.shape, rows, cols, vals, rebuild
    arr = _as_float64(f, "factor %d" % k)
    if arr.ndim != 2:
        raise ScaleQuantError("factor %d must be 2-D, got shape %s" % (k, arr.shape))
    r, c = np.nonzero(arr)
    vals = np.ascontiguousarray(arr[r, c])

    def rebuild(v, r=r, c=c, shape=arr.shape):
        out = np.zeros(shape)
        out[r, c] = v
        return out
    return arr.shape, r.astype(np.int64), c.astype(np.int64), vals, rebuild


def quantize_factors(factors, fmt, method="pairwise"):
    """Quantize a chain of sparse factors B₀ B₁ ⋯ B_{L−1} so that the product is preserved as well as possible.

    Parameters
    ----------
    factors : list
        L ≥ 1 matrices, each a ``scipy.sparse`` matrix/array (any format) or a dense 2-D array, with matching
        inner dimensions. Sparse factors: the stored entries are quantized (no two at the same position: call
        ``sum_duplicates()`` first); dense factors: the non-zero entries.
    fmt : str
        The format of all factors.
    method : {"pairwise", "l2r", "r2l", "rtn"}
        ``rtn``: round to nearest. ``pairwise``: pairs (B₀,B₁), (B₂,B₃), … each quantized optimally as the
        independent rank-one problems X[:,i]·Y[i,:] (an odd last factor by RTN); requires the rank-one terms of
        each pair to have disjoint supports (butterflies, Hadamard factors…), else raises. ``l2r``: left to right,
        per column x̂ = Q(λx) with the best cosine, the compensating μ pushed into the next factor's row; the
        last pair optimal (if its terms overlap: rescaling plus RTN, ``last_pair_optimal`` False). ``r2l``: the
        butterfly module's right to left (``scalequant butterfly --method r2l``): per row of B_{L−1}, …, B₂ the
        best-cosine x̂ with its scale pushed into the previous factor's column, then (B₀, B₁) optimally; only for
        Kronecker-sparse factors (support I_a ⊗ 1_{b×c} ⊗ I_d filled at least half by the stored entries:
        butterfly factors such as those of ``pyfaust.fact.butterfly``, Monarch, block-diagonal, dense), else
        raises (code 4), as when the terms of (B₀, B₁) overlap.

    Returns
    -------
    quantized : list
        The quantized factors, each of the input's type (sparse format kept, dense → float64 ndarray), same
        sparsity pattern, values on the grid.
    info : dict
        ``relative_error`` ‖ΠB − ΠB̂‖_F / ‖ΠB‖_F, ``rtn_relative_error``, ``error_is_exact`` (dense computation
        when the product is at most 4096×4096, else 32 seeded Gaussian probes), ``rank_one_problems``,
        ``last_pair_optimal``, ``method``, ``format``.

    Raises
    ------
    ScaleQuantError
        Unknown format or method, shape mismatch, duplicate entries, NaN/inf, overlapping terms for pairwise,
        factors that are not Kronecker-sparse for r2l.
    """
    key, code = _method_code(method)
    if key == "r2l" and _lib.revision < 1:
        raise ScaleQuantError("the loaded library %s predates method 'r2l' (C interface revision %d < 1); reinstall "
                              "the package" % (_lib.lib_path, _lib.revision))
    if isinstance(factors, (np.ndarray,)) or not hasattr(factors, "__len__"):
        raise ScaleQuantTypeError("factors must be a list of matrices")
    if len(factors) == 0:
        raise ScaleQuantError("factors is empty")
    parts = [_factor_coo(f, k) for k, f in enumerate(factors)]
    shapes = np.array([s for p in parts for s in p[0]], dtype=np.int64)
    nnz = np.array([p[1].size for p in parts], dtype=np.int64)
    rows = np.ascontiguousarray(np.concatenate([p[1] for p in parts]), dtype=np.int64)
    cols = np.ascontiguousarray(np.concatenate([p[2] for p in parts]), dtype=np.int64)
    vals = np.ascontiguousarray(np.concatenate([p[3] for p in parts]), dtype=np.float64)
    out = np.empty_like(vals)
    stats = np.empty(5)
    _call(_lib.lib.sq_quantize_factors, _name(fmt), code, len(parts), _ptr(shapes, ctypes.c_int64),
          _ptr(nnz, ctypes.c_int64), _ptr(rows, ctypes.c_int64), _ptr(cols, ctypes.c_int64), _ptr(vals),
          _ptr(out), _ptr(stats))
    quantized, offset = [], 0
    for p in parts:
        n = p[1].size
        quantized.append(p[4](out[offset:offset + n].copy()))
        offset += n
    info = {
        "relative_error": float(stats[0]), "rtn_relative_error": float(stats[1]),
        "error_is_exact": bool(stats[2]), "rank_one_problems": int(stats[3]),
        "last_pair_optimal": bool(stats[4]), "method": key, "format": fmt,
    }
    return quantized, info


def quantize_faust(F, fmt, method="pairwise", return_info=False):
    """Quantize the factors of a ``pyfaust.Faust`` (see :func:`quantize_factors`).

    Parameters
    ----------
    F : pyfaust.Faust
        A real Faust; its factors are read with ``F.factors(i)``.
    fmt : str
        The format.
    method : {"pairwise", "l2r", "r2l", "rtn"}
        As in :func:`quantize_factors`.
    return_info : bool, optional
        Also return the info dict of :func:`quantize_factors`.

    Returns
    -------
    pyfaust.Faust
        A Faust with the same number of factors, each on the grid (and ``info`` if ``return_info``).

    Raises
    ------
    ImportError
        If pyfaust is not installed.
    ScaleQuantError
        As :func:`quantize_factors`.
    """
    import pyfaust  # lazily: an optional dependency

    if not isinstance(F, pyfaust.Faust):
        raise ScaleQuantTypeError("F must be a pyfaust.Faust, got %s" % type(F).__name__)
    if np.iscomplexobj(np.empty(0, dtype=F.dtype)):
        raise ScaleQuantTypeError("complex Fausts are not supported yet (dtype %s)" % F.dtype)
    factors = [F.factors(i) for i in builtins.range(F.numfactors())]
    quantized, info = quantize_factors(factors, fmt, method)
    G = pyfaust.Faust(quantized)
    return (G, info) if return_info else G


#: Method names of :func:`quantize_mlp` and their C codes (``sq_quantize_mlp``).
MLP_METHODS = {"rtn": 0, "cle": 1, "exact": 2, "l2r": 3, "cd": 4}
_MLP_ALIASES = {"left_to_right": "l2r", "left-to-right": "l2r", "round": "rtn", "coordinate_descent": "cd",
                "coordinate-descent": "cd"}


def _to_numpy(v, name):
    """A NumPy array from an array-like or a torch tensor (duck-typed: ``.detach().cpu().numpy()``)."""
    if hasattr(v, "detach") and hasattr(v, "numpy"):
        v = v.detach()
        if hasattr(v, "cpu"):
            v = v.cpu()
        try:
            v = v.numpy()
        except TypeError:  # e.g. torch.bfloat16, which NumPy cannot hold: go through float32 (exact)
            v = v.float().numpy()
    arr = np.asarray(v)
    if arr.dtype.kind not in "fiu":
        raise ScaleQuantTypeError("'%s' must be a real floating-point (or integer) array, got dtype %s"
                                  % (name, arr.dtype))
    return arr


def _sequential_layers(state):
    """[(index, weight_name, bias_name or None)] ordered by the integer prefix, as the CLI maps names."""
    weights, biases, stray = {}, {}, []
    for name in state.keys():
        if not isinstance(name, str):
            raise ScaleQuantTypeError("tensor names must be str, got %s" % type(name).__name__)
        parts = name.split(".")
        if len(parts) == 2 and parts[0].isascii() and parts[0].isdigit() and parts[1] in ("weight", "bias"):
            (weights if parts[1] == "weight" else biases)[int(parts[0])] = name
        else:
            stray.append(name)
    if stray:
        raise ScaleQuantError("tensors %s do not follow nn.Sequential names (N.weight, N.bias)" % sorted(stray))
    for k in sorted(biases):
        if k not in weights:
            raise ScaleQuantError("missing weight: '%s' has no matching weight '%d.weight'" % (biases[k], k))
    if not weights:
        raise ScaleQuantError("no N.weight tensors found")
    return [(k, weights[k], biases.get(k)) for k in sorted(weights)]


def _restore_dtype(values, dtype):
    """``values`` (float64) in ``dtype`` when that floating dtype holds every value exactly, else float64."""
    if dtype.kind == "f" and dtype != np.float64:
        with np.errstate(over="ignore", invalid="ignore"):
            cast = values.astype(dtype)
        if np.array_equal(cast.astype(np.float64), values):
            return cast
    return values


def _calibration(calib, inputs):
    """Calibration inputs as a C-contiguous float64 (N, inputs) array; a 1-D array of length ``inputs`` is one
    sample (as ``scalequant quantize --calib`` reads it)."""
    x = _to_numpy(calib, "calib").astype(np.float64, order="C", copy=False)
    if x.ndim == 1 and x.shape[0] == inputs:
        x = x.reshape(1, inputs)
    if x.ndim != 2 or x.shape[1] != inputs:
        raise ScaleQuantError("calib has shape %s, expected (N, %d): one calibration input per row, as many "
                              "columns as the first layer has inputs" % (tuple(x.shape), inputs))
    if x.shape[0] == 0:
        raise ScaleQuantError("calib is empty (shape %s): give at least one calibration input" % (tuple(x.shape),))
    return np.ascontiguousarray(x)


def quantize_mlp(state_dict_like, fmt, method="cd", bias_fmt=None, calib=None):
    """Quantize a ReLU multilayer perceptron given as a PyTorch ``nn.Sequential`` state dict.

    The network is x ↦ W_L ReLU(⋯ ReLU(W_1 x + b_1) ⋯) + b_L (a ReLU after every layer but the last). The
    result is the one of ``scalequant quantize MODEL --format FMT --method METHOD --json`` (with ``--calib X.npy``
    for ``data``) on the same tensors (C functions ``sq_quantize_mlp``, ``sq_quantize_mlp_data``).

    Parameters
    ----------
    state_dict_like : mapping
        Names → arrays in ``nn.Sequential`` layout: ``"0.weight"`` (out × in), ``"0.bias"`` (out),
        ``"2.weight"``, … with any increasing non-negative integer prefixes (the gaps of ReLU modules are fine);
        consecutive layers must chain (in of one = out of the previous). Biases are optional (zeros). Values may be
        NumPy arrays, anything ``numpy.asarray`` accepts, or torch tensors (read with ``.detach().cpu().numpy()``;
        torch is never imported). Real floating or integer dtypes; NaN and infinities are rejected.
    fmt : str
        Weight format (see :func:`format_info`). ``"intN"`` without ``@STEP`` is a symmetric integer grid with a
        per-layer step max|W_ℓ|/(2^(N−1) − 1), taken as the CLI does (from the input for rtn, the equalized
        network for cle, the rescaling-invariant normal form for exact, l2r and cd).
    method : {"cd", "l2r", "exact", "cle", "rtn", "data"}
        ``rtn`` round to nearest; ``cle`` cross-layer equalization then rtn; ``exact`` global minimum of the ℓ²
        path-metric (exactly one hidden layer, else raises with code 4); ``l2r`` left to right (per neuron the
        cosine-optimal scaling pushed forward, last pair exact); ``cd`` exact coordinate descent on the ℓ²
        path-metric (at most 50 sweeps, the CLI's default), started from l2r; ``data`` data-aware: minimizes the
        output error on ``calib`` by exact per-neuron searches over each hidden neuron's rescaling family,
        coordinate descent started from cd's (or RTN's, if better on ``calib``) result, at most 50 sweeps per
        layer (needs ``calib``).
    bias_fmt : str, optional
        Bias format (default: ``fmt``).
    calib : array_like, optional
        Calibration inputs of method ``"data"``: shape (N, n₀) with n₀ the input width of the first layer (one
        input per row; a 1-D array of length n₀ is one input, as the CLI reads ``--calib``), N ≥ 1, finite, any
        real dtype or a torch tensor. Ignored by the other methods.

    Returns
    -------
    quantized : dict
        The same keys in the same order (plus ``"N.bias"`` if an absent bias became non-zero, as the CLI writes
        it), each value a NumPy array of the input's shape: in the input's floating dtype when that dtype holds
        every quantized value exactly (e.g. float32 in, e4m3 values out), else float64 (always float64 for integer
        inputs). Every weight lies on the weight grid and every bias on the bias grid.
    info : dict
        ``method``, ``format``, ``bias_format``, ``l2_path_metric`` ‖Φ(θ) − Φ(θ̂)‖₂ (absolute),
        ``relative_l2_path_metric`` (divided by ‖Φ(θ)‖₂; 0 for a zero network), ``l1_path_metric_bound`` and
        ``certified_output_bound`` (bound on ‖R_θ(x) − R_θ̂(x)‖₁ over ‖x‖_∞ ≤ 1; None when the signs of θ and θ̂
        disagree), ``radius`` (1.0), ``sweeps`` (coordinate-descent sweeps for cd, data-aware sweeps summed over
        the hidden layers for data, 0 for other methods) — the keys and values of ``scalequant quantize --json``
        (which prints ``sweeps`` for cd and data only).

    Raises
    ------
    ScaleQuantError
        Names not in ``nn.Sequential`` layout, a bias without its weight, a non-2-D weight, a bias of the wrong
        shape, layers that do not chain, NaN/inf (code 3), unknown method or format (code 2), ``exact`` with more
        or fewer than one hidden layer (code 4, the CLI's message), a network beyond the rank-one solver's limits
        (code 4). For ``data``: ``calib`` missing (code None), of the wrong shape or empty (code None), with a NaN
        or infinite value (code 3, its flat index in the message), a format whose per-neuron search would list more
        than 2^24 rounding boundaries (binary32, binary64, wide integers; code 4), activations on ``calib``
        beyond 2^256 (code 4).
    ScaleQuantTypeError
        Not a mapping, or an unsupported dtype (of a tensor or of ``calib``).
    """
    if not isinstance(method, str):
        raise ScaleQuantTypeError("method must be a str, got %s" % type(method).__name__)
    key = _MLP_ALIASES.get(method.lower(), method.lower())
    if key not in MLP_METHODS and key != "data":
        raise ScaleQuantError("unknown method %r (expected one of %s, data)" % (method, ", ".join(MLP_METHODS)))
    if key == "data":
        if calib is None:
            raise ScaleQuantError("method 'data' needs calibration inputs: calib=X with shape (N, inputs)")
        if not _lib.has_quantize_mlp_data:
            raise ScaleQuantError("the loaded library %s has no sq_quantize_mlp_data (C interface revision %d < 1); "
                                  "reinstall the package" % (_lib.lib_path, _lib.revision))
    if not hasattr(state_dict_like, "keys") or not hasattr(state_dict_like, "__getitem__"):
        raise ScaleQuantTypeError("state_dict_like must be a mapping of names to arrays, got %s"
                                  % type(state_dict_like).__name__)
    if not _lib.has_quantize_mlp:
        raise ScaleQuantError("the loaded library %s has no sq_quantize_mlp; reinstall the package" % _lib.lib_path)
    w_name, b_name = _name(fmt), None if bias_fmt is None else _name(bias_fmt, "bias_fmt")
    layers = _sequential_layers(state_dict_like)
    arrays = {}
    weights, biases, widths = [], [], []
    previous = None
    for k, wn, bn in layers:
        w = _to_numpy(state_dict_like[wn], wn)
        arrays[wn] = w
        if w.ndim != 2:
            raise ScaleQuantError("shape mismatch: '%s' has shape %s, expected 2-D (out × in)" % (wn, w.shape))
        if w.shape[0] < 1 or w.shape[1] < 1:
            raise ScaleQuantError("shape mismatch: '%s' has shape %s (empty layer)" % (wn, w.shape))
        if previous is None:
            widths.append(w.shape[1])
        elif w.shape[1] != previous[1]:
            raise ScaleQuantError("shape mismatch: '%s' has %d inputs but '%s' has %d outputs"
                                  % (wn, w.shape[1], previous[0], previous[1]))
        widths.append(w.shape[0])
        previous = (wn, w.shape[0])
        if bn is None:
            b = np.zeros(w.shape[0])
        else:
            b = _to_numpy(state_dict_like[bn], bn)
            arrays[bn] = b
            if b.shape != (w.shape[0],):
                raise ScaleQuantError("shape mismatch: '%s' has shape %s, expected (%d,)" % (bn, b.shape, w.shape[0]))
        for name, a in ((wn, w), (bn, b)):
            bad = np.flatnonzero(~np.isfinite(a.astype(np.float64, copy=False).ravel()))
            if bad.size:
                raise ScaleQuantError("%s[%d] is %r (NaN and infinities are not accepted)"
                                      % (name, bad[0], float(a.ravel()[bad[0]])), code=3)
        weights.append(np.ascontiguousarray(w, dtype=np.float64).ravel())
        biases.append(np.ascontiguousarray(b, dtype=np.float64).ravel())
    wv, bv = np.concatenate(weights), np.concatenate(biases)
    wd = np.array(widths, dtype=np.int64)
    ow, ob, stats = np.empty_like(wv), np.empty_like(bv), np.empty(5)
    if key == "data":
        x = _calibration(calib, widths[0])
        _call(_lib.lib.sq_quantize_mlp_data, len(layers), _ptr(wd, ctypes.c_int64), _ptr(wv), _ptr(bv), w_name,
              b_name, _ptr(x), x.shape[0], _ptr(ow), _ptr(ob), _ptr(stats))
    else:
        _call(_lib.lib.sq_quantize_mlp, len(layers), _ptr(wd, ctypes.c_int64), _ptr(wv), _ptr(bv), w_name, b_name,
              MLP_METHODS[key], _ptr(ow), _ptr(ob), _ptr(stats))
    results = {}
    wo = bo = 0
    for l, (k, wn, bn) in enumerate(layers):
        n_out, n_in = widths[l + 1], widths[l]
        qw = ow[wo:wo + n_out * n_in].reshape(n_out, n_in).copy()
        qb = ob[bo:bo + n_out].copy()
        wo += n_out * n_in
        bo += n_out
        results[wn] = _restore_dtype(qw, arrays[wn].dtype)
        if bn is not None:
            results[bn] = _restore_dtype(qb, arrays[bn].dtype)
        elif np.any(qb != 0):
            results["%d.bias" % k] = _restore_dtype(qb, arrays[wn].dtype)
    quantized = {name: results[name] for name in state_dict_like.keys()}
    for name, v in results.items():
        quantized.setdefault(name, v)

    def opt(v):
        return None if np.isnan(v) else float(v)
    info = {
        "method": key, "format": fmt, "bias_format": fmt if bias_fmt is None else bias_fmt,
        "l2_path_metric": float(stats[0]), "relative_l2_path_metric": float(stats[1]),
        "l1_path_metric_bound": opt(stats[2]), "certified_output_bound": opt(stats[3]), "radius": 1.0,
        "sweeps": int(stats[4]),
    }
    return quantized, info


#: Method names of :func:`quantize_graph` and their C codes (``exact`` and ``l2r`` are for MLPs only).
GRAPH_METHODS = {"rtn": 0, "cle": 1, "cd": 4, "data": 5}
_MLP_ONLY = {"exact": 2, "l2r": 3}


def _path(p, what):
    """A path argument (str or os.PathLike) as bytes for the C interface."""
    try:
        text = os.fspath(p)
    except TypeError:
        raise ScaleQuantTypeError("%s must be a path (str or os.PathLike), got %s" % (what, type(p).__name__)) from None
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if "\0" in text:
        raise ScaleQuantError("%s contains a NUL character" % what)
    return text, os.fsencode(text)


def _graph_input_shape(spec):
    """The ``input.shape`` of a graph spec, or None if the file cannot be read (the library then reports it)."""
    try:
        with open(spec, "rb") as f:
            shape = json.load(f)["input"]["shape"]
        shape = tuple(int(d) for d in shape)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return shape if shape and all(d >= 1 for d in shape) else None


def _graph_calibration(calib, shape):
    """Calibration inputs as a C-contiguous float64 (N, C·H·W) array, read as ``scalequant quantize --calib``
    reads them: (N, C·H·W), (N, C, H, W), or one sample of shape (C, H, W) or (C·H·W,)."""
    x = _to_numpy(calib, "calib").astype(np.float64, order="C", copy=False)
    if shape is None:  # unreadable spec: the library reports it before reading calib
        return np.ascontiguousarray(x.reshape(x.shape[0] if x.ndim >= 2 else 1, -1))
    size = int(np.prod(shape))
    if x.shape == shape or x.shape == (size,):
        x = x.reshape(1, size)
    elif x.ndim == 2 and x.shape[1] == size:
        pass
    elif x.ndim == len(shape) + 1 and x.shape[1:] == shape:
        x = x.reshape(x.shape[0], size)
    else:
        raise ScaleQuantError("calib has shape %s, expected (N, %d) or (N, %s): one calibration input per row"
                              % (tuple(x.shape), size, ", ".join(map(str, shape))))
    if x.shape[0] == 0:
        raise ScaleQuantError("calib is empty (shape %s): give at least one calibration input" % (tuple(x.shape),))
    return np.ascontiguousarray(x)


# The data-aware starts, by their code in sq_quantize_graph's out_stats[9].
_GRAPH_STARTS = ("cd", "rtn", "rtn-max", "cle")


def quantize_graph(spec, output, fmt, method="cd", bias_fmt=None, calib=None, max_sweeps=50):
    """Quantize a convolutional or residual ReLU network given as a graph spec and write the result.

    The graph is a ``scalequant-graph`` v1 JSON spec with the safetensors weights file it names (see
    ``docs/Graphs.md``); batch norms are folded into the preceding convolution first. The result is the one of
    ``scalequant quantize SPEC --format FMT --method METHOD [--bias-format BIAS_FMT] [--calib X.npy]
    --max-sweeps MAX_SWEEPS -o OUTPUT --json`` (C function ``sq_quantize_graph``, C interface revision 2), and the
    files written are the same.

    Parameters
    ----------
    spec : str or os.PathLike
        The input graph spec (``.json``).
    output : str or os.PathLike
        The output spec, ending in ``.json``; the quantized weights go next to it (same path, ``.safetensors``)
        with the input's tensor names and dtype, and the metadata ``format``, ``bias_format``, ``method``,
        ``l2_path_metric`` and ``folded_batch_norm``. Neither file may be the input spec or its weights file.
    fmt : str
        Weight format (see :func:`format_info`). ``"intN"`` without ``@STEP`` is a symmetric integer grid with a
        per-node step, taken as the CLI does.
    method : {"cd", "cle", "rtn", "data"}
        ``rtn`` round to nearest; ``cle`` cross-layer equalization then rtn; ``cd`` exact coordinate descent on
        the ℓ² path-metric (at most ``max_sweeps`` sweeps); ``data`` data-aware: coordinate descent over channel
        groups on the squared output error on ``calib`` (needs ``calib``), started from the best of cd and RTN/CLE
        starts, at most min(3, ``max_sweeps``) sweeps. ``exact`` and ``l2r`` exist for MLPs only (code 4).
    bias_fmt : str, optional
        Bias format (default: ``fmt``).
    calib : array_like, optional
        Calibration inputs of method ``"data"`` (only): shape (N, C·H·W) or (N, C, H, W) for the graph's input
        shape (C, H, W), or one sample of shape (C, H, W) or (C·H·W,); N ≥ 1, finite, any real dtype or a torch
        tensor.
    max_sweeps : int, optional
        At least 1 (``--max-sweeps``, default 50).

    Returns
    -------
    info : dict
        The keys and values of the CLI's ``--json`` output: ``method``, ``format``, ``bias_format``, ``output``
        (as given), ``folded_batch_norm`` (bool), ``l2_path_metric`` ‖Φ(θ) − Φ(θ̂)‖₂ against the folded input,
        ``relative_l2_path_metric``, ``l1_path_metric_bound`` and ``certified_output_bound`` (None where the CLI
        prints null), ``radius`` (1.0); ``sweeps`` for cd and data; for data ``calibration_samples``,
        ``start_calibration_squared_error`` and ``calibration_squared_error`` (Σ of squared output errors on
        ``calib`` at the start and at the end) and ``start``, the start that was descended (``"cd"``, ``"rtn"``,
        ``"rtn-max"`` or ``"cle"``), in the CLI's order.

    Raises
    ------
    ScaleQuantError
        Unknown method (code None), ``exact`` or ``l2r`` (code 4), unknown format (code 2), a missing, unreadable
        or invalid spec or weights file, an output not ending in ``.json`` or equal to an input (code 1; the input
        stays unchanged), ``max_sweeps`` < 1 (code 1). For ``data``: ``calib`` missing, of the wrong shape or
        empty (code None), with a NaN or infinite value (code 3, its flat index in the message); ``calib`` for
        another method (code None). A library older than revision 2.
    ScaleQuantTypeError
        A path that is not str or os.PathLike, a format or method that is not a str, an unsupported ``calib``
        dtype.

    Examples
    --------
    >>> x = np.load("Resources/data/digits_calib_x.npy")[:32].reshape(32, 1, 8, 8)
    >>> info = quantize_graph("Resources/models/digits_cnn.json", "cnn_q.json", "int4", method="data", calib=x)
    >>> info["calibration_squared_error"] <= info["start_calibration_squared_error"]
    True
    """
    if not isinstance(method, str):
        raise ScaleQuantTypeError("method must be a str, got %s" % type(method).__name__)
    key = _MLP_ALIASES.get(method.lower(), method.lower())
    if key not in GRAPH_METHODS and key not in _MLP_ONLY:
        raise ScaleQuantError("unknown method %r (expected one of %s)" % (method, ", ".join(GRAPH_METHODS)))
    if _lib.revision < 2 or not _lib.has_quantize_graph:
        raise ScaleQuantError("the loaded library %s has no sq_quantize_graph (C interface revision %d < 2); "
                              "reinstall the package" % (_lib.lib_path, _lib.revision))
    spec_text, spec_c = _path(spec, "spec")
    out_text, out_c = _path(output, "output")
    w_name, b_name = _name(fmt), None if bias_fmt is None else _name(bias_fmt, "bias_fmt")
    try:
        sweeps = operator.index(max_sweeps)
    except TypeError:
        raise ScaleQuantTypeError("max_sweeps must be an int, got %s" % type(max_sweeps).__name__) from None
    if sweeps < 1:
        raise ScaleQuantError("max_sweeps is %d: it must be at least 1" % sweeps, code=1)
    sweeps = builtins.min(sweeps, 2 ** 62)
    x, n = None, 0
    if key == "data":
        if calib is None:
            raise ScaleQuantError("method 'data' needs calibration inputs: calib=X with shape (N, C*H*W) or "
                                  "(N, C, H, W)")
        x = _graph_calibration(calib, _graph_input_shape(spec_text))
        n = x.shape[0]
    elif calib is not None:
        raise ScaleQuantError("calib is used by method 'data' only")
    stats = np.empty(10)
    code = GRAPH_METHODS.get(key, _MLP_ONLY.get(key))
    _call(_lib.lib.sq_quantize_graph, spec_c, out_c, w_name, b_name, code, None if x is None else _ptr(x), n,
          sweeps, _ptr(stats))

    def opt(v):
        return None if np.isnan(v) else float(v)
    info = {
        "method": key, "format": fmt, "bias_format": fmt if bias_fmt is None else bias_fmt, "output": out_text,
        "folded_batch_norm": bool(stats[5]), "l2_path_metric": float(stats[0]),
        "relative_l2_path_metric": float(stats[1]), "l1_path_metric_bound": opt(stats[2]),
        "certified_output_bound": opt(stats[3]), "radius": 1.0,
    }
    if key in ("cd", "data"):
        info["sweeps"] = int(stats[4])
    if key == "data":
        info["calibration_samples"] = int(stats[6])
        info["start"] = _GRAPH_STARTS[int(stats[9])]
        info["start_calibration_squared_error"] = float(stats[7])
        info["calibration_squared_error"] = float(stats[8])
    return info
