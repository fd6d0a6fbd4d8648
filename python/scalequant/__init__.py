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
from . import _lib  # noqa: F401 - scalequant._lib (lib_path, revision) is read by ci.sh and the tests
from ._factors import METHODS, quantize_factors
from ._faust import quantize_faust
from ._formats import format_info, formats, round
from ._graph import GRAPH_METHODS, quantize_graph
from ._mlp import MLP_METHODS, quantize_mlp
from ._rank_one import RankOneResult, quantize_rank_one
from ._support import ScaleQuantError, ScaleQuantTypeError, abi_revision, abi_version

__all__ = [
    "ScaleQuantError", "ScaleQuantTypeError", "RankOneResult", "abi_version", "abi_revision", "formats",
    "format_info", "round",
    "quantize_rank_one", "quantize_factors", "quantize_faust", "quantize_mlp", "quantize_graph", "METHODS",
    "MLP_METHODS", "GRAPH_METHODS",
]
__version__ = "0.1.0"
