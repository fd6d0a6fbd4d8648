"""Shared plumbing: the exceptions, calling a C function and turning its status into an exception, and the
conversion of arguments (format names, paths, arrays, torch tensors) to what the C interface takes."""
import ctypes
import os

import numpy as np

from . import _lib

_ERR_LEN = 2048


class ScaleQuantError(ValueError):
    """An error reported by the ScaleQuant library, or invalid input detected before calling it.

    Attributes
    ----------
    code : int or None
        The C status code (1 invalid argument, 2 unknown or invalid format, 3 NaN or infinity, 4 method does not
        apply, 5 buffer too small, 6 internal), or None for errors detected in Python.
    """

    __module__ = "scalequant"  # its public home (tracebacks, repr, pickle), as before the package was split

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class ScaleQuantTypeError(ScaleQuantError, TypeError):
    """An input array has an unsupported dtype (complex, object, bool, strings…). Also a ``TypeError``."""

    __module__ = "scalequant"


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


def abi_version():
    """Version of the C interface of the loaded library (int)."""
    return int(_lib.lib.sq_abi_version())


def abi_revision():
    """Revision of the C interface of the loaded library (int): compatible additions within :func:`abi_version`.

    0: the first release; 1: ``quantize_factors(..., method="r2l")`` and ``quantize_mlp(..., method="data")``;
    2: :func:`quantize_graph`.
    """
    return _lib.revision
