"""Quantization of a convolutional or residual network given as a graph spec file (:func:`quantize_graph`)."""
import json
import operator

import numpy as np

from . import _lib
from ._mlp import _MLP_ALIASES
from ._support import ScaleQuantError, ScaleQuantTypeError, _call, _name, _path, _ptr, _to_numpy

#: Method names of :func:`quantize_graph` and their C codes (``exact`` and ``l2r``: for perceptron specs only). A
#: data-free name may end in ``+bc`` (bias correction on ``calib``; code + 100).
GRAPH_METHODS = {"rtn": 0, "cle": 1, "cd": 4, "data": 5, "rtn-channel": 6, "gptq": 7}
_CALIBRATED = {"data", "gptq"}
_BIAS_CORRECTION = 100
_MLP_ONLY = {"exact": 2, "l2r": 3}


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
_GRAPH_STARTS = ("cd", "rtn", "rtn-max", "cle", "gptq", "gptq-cle", "gptq-data")


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
    method : {"cd", "cle", "rtn", "data", "rtn-channel", "gptq"} (data-free ones may end in "+bc")
        ``rtn`` round to nearest; ``cle`` cross-layer equalization then rtn; ``cd`` exact coordinate descent on
        the ℓ² path-metric (at most ``max_sweeps`` sweeps); ``data`` data-aware: coordinate descent over channel
        groups on the squared output error on ``calib`` (needs ``calib``), started from the best of cd and RTN/CLE
        starts, at most min(3, ``max_sweeps``) sweeps. ``exact`` (one hidden layer) and ``l2r`` for specs that are
        perceptrons only (C interface revision 3; other graphs: code 4); a perceptron spec gets the results of
        :func:`quantize_mlp` bit for bit.
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
    key = method.lower()
    bc = key.endswith("+bc")
    base = _MLP_ALIASES.get(key[:-3] if bc else key, key[:-3] if bc else key)
    key = base + "+bc" if bc else base
    if (base not in GRAPH_METHODS and base not in _MLP_ONLY) or (bc and base in _CALIBRATED):
        raise ScaleQuantError("unknown method %r (expected one of %s; a data-free one may end in +bc)"
                              % (method, ", ".join(GRAPH_METHODS)))
    calibrated = bc or base in _CALIBRATED
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
    sweeps = min(sweeps, 2 ** 62)
    x, n = None, 0
    if calibrated:
        if calib is None:
            raise ScaleQuantError("method %r needs calibration inputs: calib=X with shape (N, C*H*W) or "
                                  "(N, C, H, W)" % key)
        x = _graph_calibration(calib, _graph_input_shape(spec_text))
        n = x.shape[0]
    elif calib is not None:
        raise ScaleQuantError("calib is used by the calibrated methods only (data, gptq, ...+bc)")
    stats = np.empty(10)
    code = GRAPH_METHODS.get(base, _MLP_ONLY.get(base)) + (_BIAS_CORRECTION if bc else 0)
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
    if base in ("cd", "data"):
        info["sweeps"] = int(stats[4])
    if calibrated:
        info["calibration_samples"] = int(stats[6])
    if key == "data":
        info["start"] = _GRAPH_STARTS[int(stats[9])]
        info["start_calibration_squared_error"] = float(stats[7])
        info["calibration_squared_error"] = float(stats[8])
    return info
