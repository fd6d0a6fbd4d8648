import numpy as np
import pytest

import scalequant as sq

CASES = [("e4m3", None, 7, 5), ("bf16", None, 20, 13), ("fp16", "e4m3", 9, 4), ("e2m1", None, 6, 6),
         ("int4", None, 5, 8), ("p=5", None, 11, 3)]


@pytest.mark.parametrize("fmt,fmt_y,m,n", CASES)
def test_rank_one_matches_cli(cli, tmp_path, fmt, fmt_y, m, n):
    rng = np.random.default_rng(m * 31 + n)
    x, y = rng.standard_normal(m) * 3, rng.standard_normal(n) / 5
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    args = ["rank1", "--x", tmp_path / "x.npy", "--y", tmp_path / "y.npy", "--format", fmt, "--json"]
    if fmt_y:
        args += ["--format-y", fmt_y]
    ref = cli(*args)
    r = sq.quantize_rank_one(x, y, fmt, fmt_y)
    assert r.relative_error == ref["relative_error"]
    assert r.rtn_relative_error == ref["rtn_relative_error"]
    assert r.lam == ref["lambda"] and r.mu == ref["mu"] and r.pieces == ref["pieces"]
    np.testing.assert_array_equal(r.x_hat, ref["x_hat"])
    np.testing.assert_array_equal(r.y_hat, ref["y_hat"])
    assert r.relative_error <= r.rtn_relative_error
    np.testing.assert_array_equal(sq.round(r.x_hat, fmt), r.x_hat)


def test_rescaled_input_is_exact():
    a, b = np.array([1.0, -2.0, 0.75]), np.array([3.0, 0.5])
    r = sq.quantize_rank_one(a / 0.37, b * 0.37, "e4m3")
    assert r.relative_error < 1e-15
    assert r.rtn_relative_error > 1e-3


def test_non_contiguous_and_float32():
    rng = np.random.default_rng(4)
    base = rng.standard_normal((12, 3))
    x, y = base[:, 1], base[::2, 2]
    assert not x.flags.c_contiguous
    r1 = sq.quantize_rank_one(x, y, "e4m3")
    r2 = sq.quantize_rank_one(x.copy(), y.copy(), "e4m3")
    assert r1.relative_error == r2.relative_error
    np.testing.assert_array_equal(r1.x_hat, r2.x_hat)
    r3 = sq.quantize_rank_one(x.astype(np.float32), y.astype(np.float32), "e4m3")
    r4 = sq.quantize_rank_one(x.astype(np.float32).astype(np.float64), y.astype(np.float32).astype(np.float64), "e4m3")
    assert r3.relative_error == r4.relative_error


def test_bad_input():
    with pytest.raises(sq.ScaleQuantError, match="1-D"):
        sq.quantize_rank_one(np.ones((2, 2)), np.ones(2), "e4m3")
    with pytest.raises(sq.ScaleQuantError, match="empty"):
        sq.quantize_rank_one(np.ones(0), np.ones(2), "e4m3")
    with pytest.raises(sq.ScaleQuantError, match=r"y\[1\] is nan") as e:
        sq.quantize_rank_one(np.ones(2), np.array([1.0, np.nan]), "e4m3")
    assert e.value.code == 3
    with pytest.raises(sq.ScaleQuantError, match="unknown format"):
        sq.quantize_rank_one(np.ones(2), np.ones(2), "e4m3", "nope")
    with pytest.raises(sq.ScaleQuantTypeError, match="complex"):
        sq.quantize_rank_one(np.ones(2, dtype=complex), np.ones(2), "e4m3")
