import numpy as np
import pytest

sp = pytest.importorskip("scipy.sparse")

import scalequant as sq  # noqa: E402
from helpers import dense_product, relative_error, wht_factors  # noqa: E402

FORMATS = ["e4m3", "bf16", "fp16"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("n", [64, 256])  # 1024 (the example) runs in test_faust.py
def test_orthonormal_hadamard_is_exact(fmt, n):
    factors = wht_factors(n)
    assert all(np.allclose(abs(f.data), 1 / np.sqrt(2)) for f in factors)
    for method in ("pairwise", "l2r"):
        q, info = sq.quantize_factors(factors, fmt, method)
        assert info["relative_error"] < 1e-12, (method, info)
        assert info["error_is_exact"] and info["last_pair_optimal"]
        for f, g in zip(factors, q):
            assert type(g) is type(f)
            np.testing.assert_array_equal(g.indices, f.indices)
            np.testing.assert_array_equal(g.indptr, f.indptr)
            np.testing.assert_array_equal(sq.round(g.data, fmt), g.data)
        if n <= 64:
            assert relative_error(factors, q) < 1e-12
    q, info = sq.quantize_factors(factors, fmt, "rtn")
    assert info["relative_error"] > 1e-4
    assert info["relative_error"] == info["rtn_relative_error"]


def _butterfly(level, levels, rng):
    n = 2 ** levels
    d = 2 ** (levels - level)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    mask = (i // (2 * d) == j // (2 * d)) & (i % d == j % d)
    return np.where(mask, rng.standard_normal((n, n)), 0.0)


def test_error_matches_dense_and_types_are_kept():
    rng = np.random.default_rng(0)
    dense = [_butterfly(k, 5, rng) for k in range(1, 6)]
    kinds = [sp.csr_matrix(dense[0]), sp.csc_matrix(dense[1]), dense[2], sp.coo_matrix(dense[3]),
             sp.bsr_matrix(dense[4])]
    for method in ("rtn", "pairwise", "l2r"):
        q, info = sq.quantize_factors(kinds, "e4m3", method)
        assert [type(g) for g in q] == [type(f) for f in kinds]
        assert info["method"] == method
        err = relative_error(kinds, q)
        assert abs(info["relative_error"] - err) <= 1e-12 * err
        # Same pattern, values on the grid.
        for f, g in zip(kinds, q):
            fd = f.toarray() if hasattr(f, "toarray") else f
            gd = g.toarray() if hasattr(g, "toarray") else g
            assert np.array_equal(fd != 0, gd != 0) or method != "rtn"
            assert np.all(gd[fd == 0] == 0)
            np.testing.assert_array_equal(sq.round(gd, "e4m3"), gd)
        # Dense input gives the same numbers.
        qd, infod = sq.quantize_factors(dense, "e4m3", method)
        assert infod["relative_error"] == info["relative_error"]
        for g, h in zip(q, qd):
            np.testing.assert_array_equal(g.toarray() if hasattr(g, "toarray") else g, h)
    _, p = sq.quantize_factors(dense, "e4m3", "pairwise")
    _, r = sq.quantize_factors(dense, "e4m3", "rtn")
    assert p["relative_error"] < r["relative_error"]
    assert p["rank_one_problems"] == 2 * 32


def test_non_contiguous_and_float32_factors():
    rng = np.random.default_rng(2)
    a = [_butterfly(k, 3, rng) for k in (1, 2, 3)]
    fortran = [np.asfortranarray(m) for m in a]
    q1, i1 = sq.quantize_factors(a, "bf16", "l2r")
    q2, i2 = sq.quantize_factors(fortran, "bf16", "l2r")
    assert i1 == i2
    for g, h in zip(q1, q2):
        np.testing.assert_array_equal(g, h)
    q3, _ = sq.quantize_factors([m.astype(np.float32) for m in a], "bf16", "pairwise")
    assert all(g.dtype == np.float64 for g in q3)


def test_overlapping_pair():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    with pytest.raises(sq.ScaleQuantError, match="use the left-to-right method") as e:
        sq.quantize_factors([x, y], "e4m3", "pairwise")
    assert e.value.code == 4
    q, info = sq.quantize_factors([x, y, x], "e4m3", "l2r")
    assert not info["last_pair_optimal"]
    assert abs(info["relative_error"] - relative_error([x, y, x], q)) < 1e-12


def test_bad_factors():
    with pytest.raises(sq.ScaleQuantError, match="factor 0 has 3 columns but factor 1 has 2 rows"):
        sq.quantize_factors([np.ones((2, 3)), np.ones((2, 2))], "e4m3", "rtn")
    with pytest.raises(sq.ScaleQuantError, match="unknown method"):
        sq.quantize_factors([np.ones((2, 2))], "e4m3", "r2l-ish")
    with pytest.raises(sq.ScaleQuantError, match="unknown format"):
        sq.quantize_factors([np.ones((2, 2))], "e4m3q", "rtn")
    with pytest.raises(sq.ScaleQuantError, match=r"values\[1\] is nan") as e:
        sq.quantize_factors([np.array([[1.0, np.nan]])], "e4m3", "rtn")
    assert e.value.code == 3
    dup = sp.coo_matrix(([1.0, 2.0], ([0, 0], [1, 1])), shape=(2, 2))
    with pytest.raises(sq.ScaleQuantError, match="factor 0: two entries at position"):
        sq.quantize_factors([dup], "e4m3", "rtn")
    with pytest.raises(sq.ScaleQuantError, match="2-D"):
        sq.quantize_factors([np.ones(3)], "e4m3", "rtn")
    with pytest.raises(sq.ScaleQuantTypeError):
        sq.quantize_factors([np.ones((2, 2), dtype=complex)], "e4m3", "rtn")
    with pytest.raises(sq.ScaleQuantError, match="empty"):
        sq.quantize_factors([], "e4m3", "rtn")


def test_large_product_uses_probes():
    rng = np.random.default_rng(5)
    x = sp.csr_matrix(rng.standard_normal((5000, 1)))
    y = sp.csr_matrix(rng.standard_normal((1, 5000)))
    q, info = sq.quantize_factors([x, y], "e4m3", "pairwise")
    assert not info["error_is_exact"]
    r = sq.quantize_rank_one(x.toarray().ravel(), y.toarray().ravel(), "e4m3")
    assert 0.5 * r.relative_error < info["relative_error"] < 2 * r.relative_error
    np.testing.assert_array_equal(q[0].toarray().ravel(), r.x_hat)
