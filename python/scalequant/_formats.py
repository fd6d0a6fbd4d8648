"""The number formats: their list and parameters (:func:`formats`, :func:`format_info`) and rounding to one
(:func:`round`)."""
import ctypes

import numpy as np

from . import _lib
from ._support import _as_float64, _call, _name, _ptr

_KINDS = {0: "float", 1: "idealized", 2: "integer"}


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
