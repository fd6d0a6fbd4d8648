"""The C interface directly (ctypes): bad pointers and lengths never crash, messages are bounded and terminated."""
import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import scalequant as sq
from scalequant import _lib

lib = _lib.lib
D = ctypes.POINTER(ctypes.c_double)
I = ctypes.POINTER(ctypes.c_int64)


def buf(n=256):
    return ctypes.create_string_buffer(n)


def dp(a):
    return a.ctypes.data_as(D)


def ip(a):
    return a.ctypes.data_as(I)


def test_null_and_negative_lengths():
    e = buf()
    out = np.empty(8)
    assert lib.sq_format_info(None, dp(out), e, len(e)) == 1 and b"null" in e.value
    assert lib.sq_format_info(b"e4m3", None, e, len(e)) == 1 and b"out_values" in e.value
    x = np.ones(3)
    assert lib.sq_round(b"e4m3", dp(x), dp(x), -1, e, len(e)) == 1 and b"negative" in e.value
    assert lib.sq_round(b"e4m3", None, dp(x), 3, e, len(e)) == 1
    assert lib.sq_round(b"e4m3", None, None, 0, e, len(e)) == 0 and e.value == b""
    assert lib.sq_round(b"e4m3", dp(x), dp(x), 1 << 62, e, len(e)) == 1 and b"too large" in e.value
    st = np.empty(5)
    assert lib.sq_rank_one(b"e4m3", None, dp(x), 0, dp(x), 3, dp(x), dp(x), dp(st), e, len(e)) == 1
    assert lib.sq_rank_one(b"e4m3", None, dp(x), 3, None, 3, dp(x), dp(x), dp(st), e, len(e)) == 1
    assert lib.sq_rank_one(b"e4m3", None, dp(x), 3, dp(x), 3, dp(x), dp(x), None, e, len(e)) == 1


def test_error_buffer_is_bounded_and_terminated():
    out = np.empty(8)
    for n in (1, 2, 7, 16):
        e = ctypes.create_string_buffer(b"\xff" * (n + 4), n + 4)
        assert lib.sq_format_info(b"nope-\xc3\xa9\xc3\xa9\xc3\xa9", dp(out), e, n) == 2
        raw = e.raw
        assert raw[n - 1:n] == b"\x00" or b"\x00" in raw[:n]
        assert raw[n:] == b"\xff" * 4  # nothing written past err_len
        raw[:raw.index(b"\x00")].decode("utf-8")  # truncated at a character boundary
    assert lib.sq_format_info(b"nope", dp(out), None, 0) == 2
    assert lib.sq_format_info(b"nope", dp(out), None, 100) == 2
    assert lib.sq_format_info(b"e4m3", dp(out), buf(), -5) == 0
    assert lib.sq_format_info(b"\xff\xfe", dp(out), buf(), 256) == 2


def test_format_list_buffer():
    e, small = buf(), ctypes.create_string_buffer(8)
    assert lib.sq_format_list(small, len(small), e, len(e)) == 5 and b"needs" in e.value
    assert small.value == b""
    big = ctypes.create_string_buffer(4096)
    assert lib.sq_format_list(big, len(big), e, len(e)) == 0
    assert big.value.split(b",")[0] == b"binary64"
    assert lib.sq_format_list(None, 10, e, len(e)) == 1


def test_round_in_place():
    x = np.array([0.3, -1.7, 1e6])
    expected = sq.round(x, "e4m3")
    e = buf()
    assert lib.sq_round(b"e4m3", dp(x), dp(x), 3, e, len(e)) == 0
    np.testing.assert_array_equal(x, expected)


def _factors_call(shapes, nnz, rows, cols, vals, method=1, name=b"e4m3", out=None, stats=None):
    e = buf(512)
    shapes, nnz = np.asarray(shapes, dtype=np.int64), np.asarray(nnz, dtype=np.int64)
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    vals = np.asarray(vals, dtype=np.float64)
    out = np.empty(max(vals.size, 1)) if out is None else out
    stats = np.empty(5) if stats is None else stats
    status = lib.sq_quantize_factors(name, method, nnz.size, ip(shapes), ip(nnz), ip(rows), ip(cols), dp(vals),
                                     dp(out), dp(stats), e, len(e))
    return status, e.value.decode(), out, stats


def test_quantize_factors_validation():
    ok = ([2, 2], [2], [0, 1], [0, 1], [0.3, 0.7])
    assert _factors_call(*ok)[0] == 0
    assert _factors_call(*ok, method=7)[:2] == (1, "unknown method code 7 (0 rtn, 1 pairwise, 2 l2r, 3 r2l)")
    assert _factors_call([2, -2], [2], [0, 1], [0, 1], [1.0, 1.0])[0] == 1
    assert _factors_call([2, 1 << 40], [2], [0, 1], [0, 1], [1.0, 1.0])[0] == 1
    assert _factors_call([2, 2], [-1], [0], [0], [1.0])[0] == 1
    status, msg, _, _ = _factors_call([2, 2], [1], [5], [0], [1.0])
    assert status == 1 and "outside" in msg and msg.startswith("factor 0")
    status, msg, _, _ = _factors_call([2, 2, 2, 2], [1, 1 << 62], [0], [0], [1.0])
    assert status == 1
    status, msg, _, _ = _factors_call([2, 2], [1], [0], [0], [np.inf])
    assert status == 3
    e = buf()
    st = np.empty(5)
    shapes = np.array([3, 4, 4, 2], dtype=np.int64)
    nnz = np.zeros(2, dtype=np.int64)
    assert lib.sq_quantize_factors(b"bf16", 2, 2, ip(shapes), ip(nnz), None, None, None, None, dp(st), e, 256) == 0
    assert st[0] == 0 and st[2] == 1
    assert lib.sq_quantize_factors(b"bf16", 2, 0, ip(shapes), ip(nnz), None, None, None, None, dp(st), e, 256) == 1
    assert lib.sq_quantize_factors(b"bf16", 2, 2, None, ip(nnz), None, None, None, None, dp(st), e, 256) == 1


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_header_compiles_and_links(tmp_path):
    header = Path(sq.__file__).with_name("scalequant.h")
    if not header.is_file():
        header = Path(__file__).resolve().parents[1] / "scalequant" / "scalequant.h"
    src = tmp_path / "t.c"
    src.write_text('#include "scalequant.h"\n#include <stdio.h>\nint main(void){char e[64]; double v[8];\n'
                   'int s = sq_format_info("e4m3", v, e, sizeof e);\n'
                   'printf("%d %d %d %g\\n", sq_abi_version(), sq_abi_revision(), s, v[3]); return 0;}\n')
    exe = tmp_path / "t"
    libdir = Path(_lib.lib_path).parent
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-I", str(header.parent), str(src), "-o", str(exe),
                    "-L", str(libdir), "-lScaleQuantC", "-Wl,-rpath," + str(libdir)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "4", "0", "448"]


def test_versions():
    assert sq.abi_version() == _lib.ABI_VERSION == 1
    assert sq.abi_revision() == _lib.ABI_REVISION == 4
    assert _lib.has_quantize_mlp_data


def test_limits_refuse_instead_of_crashing():
    with pytest.raises(sq.ScaleQuantError, match="breakpoints") as e:
        sq.quantize_rank_one(np.ones(3), np.ones(3), "binary64")
    assert e.value.code == 4
    with pytest.raises(sq.ScaleQuantError, match="binades"):
        sq.quantize_rank_one(np.array([1e300, 1e-300]), np.ones(2), "bf16")
    with pytest.raises(sq.ScaleQuantError, match="beyond the supported"):
        sq.quantize_rank_one(np.array([1e308]), np.ones(1), "e8m0finite")
    with pytest.raises(sq.ScaleQuantError, match="beyond the supported"):
        sq.quantize_rank_one(np.array([5e-324]), np.ones(1), "p=3")
    r = sq.quantize_rank_one(np.array([2.0 ** -700]), np.array([2.0 ** 500]), "p=3")  # rebalanced
    assert r.relative_error == 0.0
    with pytest.raises(sq.ScaleQuantError, match="breakpoints"):
        sq.quantize_factors([np.ones((3, 2)), np.ones((2, 2))], "binary64", "l2r")
