"""Quantization of a chain of sparse factors B₀ B₁ ⋯ B_{L−1} (:func:`quantize_factors`): scipy.sparse or dense
factors in, the same types out."""
import ctypes

import numpy as np

from . import _lib
from ._support import ScaleQuantError, ScaleQuantTypeError, _as_float64, _call, _name, _ptr

#: Method names of :func:`quantize_factors` and their C codes.
METHODS = {"rtn": 0, "pairwise": 1, "l2r": 2, "r2l": 3}
_METHOD_ALIASES = {"left_to_right": "l2r", "left-to-right": "l2r", "right_to_left": "r2l", "right-to-left": "r2l",
                   "round": "rtn"}


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
