"""Optimal quantization of a rank-one matrix x yᵀ (:func:`quantize_rank_one`)."""
from collections import namedtuple

import numpy as np

from . import _lib
from ._support import ScaleQuantError, _as_float64, _call, _name, _ptr

RankOneResult = namedtuple(
    "RankOneResult", ["x_hat", "y_hat", "relative_error", "rtn_relative_error", "lam", "mu", "pieces"],
    module="scalequant")
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
