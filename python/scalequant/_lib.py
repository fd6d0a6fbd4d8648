"""Loading of libScaleQuantC and the ctypes prototypes of its C interface (see scalequant.h)."""
import ctypes
import os
from pathlib import Path

_NAMES = ("libScaleQuantC.so", "libScaleQuantC.dylib", "ScaleQuantC.dll")

#: Version of the C interface this module was written for.
ABI_VERSION = 1
#: Revision (compatible additions) of the C interface this module was written for; older revisions load, and the
#: functions that need a newer one raise ScaleQuantError (see scalequant.h).
ABI_REVISION = 4

_c_double_p = ctypes.POINTER(ctypes.c_double)
_c_int64_p = ctypes.POINTER(ctypes.c_int64)


def _candidates():
    env = os.environ.get("SCALEQUANT_LIB")
    if env:
        yield Path(env)
        return
    here = Path(__file__).resolve().parent
    for name in _NAMES:
        yield here / name
    # A source checkout: python/scalequant -> repository root -> .build/{release,debug}.
    root = here.parent.parent
    for config in ("release", "debug"):
        for name in _NAMES:
            yield root / ".build" / config / name


def _load():
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.is_file():
            return ctypes.CDLL(str(path)), path
    raise ImportError(
        "scalequant: libScaleQuantC not found (tried %s); install with `pip install ./python` or set "
        "SCALEQUANT_LIB" % ", ".join(tried)
    )


lib, lib_path = _load()

_ERR = [ctypes.c_char_p, ctypes.c_int64]
lib.sq_abi_version.restype = ctypes.c_int32
lib.sq_abi_version.argtypes = []
lib.sq_format_info.restype = ctypes.c_int32
lib.sq_format_info.argtypes = [ctypes.c_char_p, _c_double_p] + _ERR
lib.sq_format_list.restype = ctypes.c_int32
lib.sq_format_list.argtypes = [ctypes.c_char_p, ctypes.c_int64] + _ERR
lib.sq_round.restype = ctypes.c_int32
lib.sq_round.argtypes = [ctypes.c_char_p, _c_double_p, _c_double_p, ctypes.c_int64] + _ERR
lib.sq_rank_one.restype = ctypes.c_int32
lib.sq_rank_one.argtypes = [ctypes.c_char_p, ctypes.c_char_p, _c_double_p, ctypes.c_int64, _c_double_p,
                            ctypes.c_int64, _c_double_p, _c_double_p, _c_double_p] + _ERR
lib.sq_quantize_factors.restype = ctypes.c_int32
lib.sq_quantize_factors.argtypes = [ctypes.c_char_p, ctypes.c_int32, ctypes.c_int64, _c_int64_p, _c_int64_p,
                                    _c_int64_p, _c_int64_p, _c_double_p, _c_double_p, _c_double_p] + _ERR
#: False for a library built before sq_quantize_mlp existed (quantize_mlp then raises ScaleQuantError).
has_quantize_mlp = hasattr(lib, "sq_quantize_mlp")
if has_quantize_mlp:
    lib.sq_quantize_mlp.restype = ctypes.c_int32
    lib.sq_quantize_mlp.argtypes = [ctypes.c_int64, _c_int64_p, _c_double_p, _c_double_p, ctypes.c_char_p,
                                    ctypes.c_char_p, ctypes.c_int32, _c_double_p, _c_double_p, _c_double_p] + _ERR

#: Revision of the loaded library (0 for a library that predates sq_abi_revision).
revision = 0
if hasattr(lib, "sq_abi_revision"):
    lib.sq_abi_revision.restype = ctypes.c_int32
    lib.sq_abi_revision.argtypes = []
    revision = int(lib.sq_abi_revision())
#: False for a library of revision 0 (quantize_mlp(method="data") then raises ScaleQuantError).
has_quantize_mlp_data = hasattr(lib, "sq_quantize_mlp_data")
if has_quantize_mlp_data:
    lib.sq_quantize_mlp_data.restype = ctypes.c_int32
    lib.sq_quantize_mlp_data.argtypes = [ctypes.c_int64, _c_int64_p, _c_double_p, _c_double_p, ctypes.c_char_p,
                                         ctypes.c_char_p, _c_double_p, ctypes.c_int64, _c_double_p, _c_double_p,
                                         _c_double_p] + _ERR
#: False for a library of revision < 2 (quantize_graph then raises ScaleQuantError).
has_quantize_graph = hasattr(lib, "sq_quantize_graph")
if has_quantize_graph:
    lib.sq_quantize_graph.restype = ctypes.c_int32
    lib.sq_quantize_graph.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                      ctypes.c_int32, _c_double_p, ctypes.c_int64, ctypes.c_int64, _c_double_p] + _ERR

if lib.sq_abi_version() != ABI_VERSION:
    raise ImportError("scalequant: %s has C interface version %d, this module needs %d"
                      % (lib_path, lib.sq_abi_version(), ABI_VERSION))
