"""pyfaust interop: quantization of the factors of a ``pyfaust.Faust`` (:func:`quantize_faust`; pyfaust is imported
lazily, an optional dependency)."""

import numpy as np

from ._factors import quantize_factors
from ._support import ScaleQuantTypeError


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
    factors = [F.factors(i) for i in range(F.numfactors())]
    quantized, info = quantize_factors(factors, fmt, method)
    G = pyfaust.Faust(quantized)
    return (G, info) if return_info else G
