import numpy as np
import pytest

import scalequant as sq

FORMATS = ["e4m3", "e5m2", "bf16", "fp16", "e2m1", "e3m2", "int4", "int8@0.25", "p=3", "tf32"]


def _values(seed=0):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(60) * 10.0 ** rng.integers(-8, 6, 60)
    return np.concatenate([v, [0.0, -0.0, 1e300, -1e300, 5e-324, 0.5, 1.5, 2.5, 448.0, 464.0, 480.0]])


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_matches_cli(cli, fmt):
    v = _values()
    expected = np.array(cli("round", "--format", fmt, "--json", "--", *[repr(float(t)) for t in v]))
    got = sq.round(v, fmt)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)


def test_shapes_and_dtypes():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
    r = sq.round(a, "bf16")
    assert r.shape == a.shape and r.dtype == np.float64
    np.testing.assert_array_equal(r, sq.round(a.astype(np.float64).ravel(), "bf16").reshape(a.shape))
    assert sq.round(3, "e2m1").shape == ()
    np.testing.assert_array_equal(sq.round([1, 2, 3, 5], "e2m1"), [1, 2, 3, 4])
    assert sq.round(np.zeros(0), "e4m3").shape == (0,)


def test_non_contiguous_equals_contiguous():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((40, 30))
    view = a[::3, ::2].T
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(sq.round(view, "e4m3"), sq.round(np.ascontiguousarray(view), "e4m3"))
    np.testing.assert_array_equal(view, a[::3, ::2].T)  # input untouched


@pytest.mark.parametrize("bad,where", [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "inf")])
def test_non_finite_rejected(bad, where):
    with pytest.raises(sq.ScaleQuantError, match=r"in\[2\] is .*" + where) as e:
        sq.round([1.0, 2.0, bad], "e4m3")
    assert e.value.code == 3


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), np.array([object()]), np.array([True])])
def test_wrong_dtype_rejected(bad):
    with pytest.raises(sq.ScaleQuantTypeError, match="dtype"):
        sq.round(bad, "e4m3")
    with pytest.raises(TypeError):
        sq.round(bad, "e4m3")


def test_unknown_format_message():
    with pytest.raises(sq.ScaleQuantError, match="unknown format 'e4m9x'"):
        sq.round([1.0], "e4m9x")
