"""The issue's second example: the Faust of pyfaust.fact.butterfly for a seeded random matrix, quantized with our
pairwise, l2r and r2l, compared with RTN and with lazylinop's qbutterfly on the same factors
(python/examples/butterfly_faust.py, whose functions are used here), and r2l against `scalequant butterfly`."""
import importlib.util
import subprocess
import sys

import numpy as np
import pytest

pyfaust = pytest.importorskip("pyfaust")
pytest.importorskip("scipy.sparse")

import scalequant as sq  # noqa: E402
from conftest import REPO  # noqa: E402
from helpers import wht_factors  # noqa: E402

_spec = importlib.util.spec_from_file_location("butterfly_faust", REPO / "python" / "examples" / "butterfly_faust.py")
example = importlib.util.module_from_spec(_spec)
sys.modules["butterfly_faust"] = example
_spec.loader.exec_module(example)

SEED = 0
# (N, format) pairs compared with lazylinop: every format at N = 64, the cheaper ones at N = 256 (lazylinop takes
# tens of seconds for e4m3 and bf16 l2r there).
CASES = [(64, "fp16"), (64, "bf16"), (64, "e4m3"), (64, "p=4"), (256, "fp16"), (256, "p=4")]
_cache = {}


def _lazylinop_reason():
    try:
        import lazylinop.quantization  # noqa: F401
    except Exception as e:
        return "lazylinop not importable (%s: %s)" % (type(e).__name__, e)
    return None


def comparison(n, fmt):
    """example.compare(n, fmt) once per session."""
    if (n, fmt) not in _cache:
        _cache[(n, fmt)] = example.compare(n, fmt, SEED, lazylinop=_lazylinop_reason() is None)
    return _cache[(n, fmt)]


@pytest.mark.parametrize("n,fmt", CASES)
def test_scalequant_beats_rtn_and_matches_library_error(n, fmt):
    row = comparison(n, fmt)
    F = example.butterfly_faust(n, SEED)
    assert F.numfactors() == int(np.log2(n))
    rtn = row["rtn"]["error"]
    assert rtn > 0
    for method in ("sq pairwise", "sq l2r", "sq r2l"):
        r = row[method]
        # The error measured here from dense products equals the Swift library's (exact for N <= 4096).
        assert r["error"] == pytest.approx(r["library_error"], rel=1e-9), method
        assert r["error"] < rtn, (method, r["error"], rtn)
        # Same supports as F's factors, every value on the grid.
        for f, g in zip(example.faust_factors(F), r["factors"]):
            f, g = f.tocsr(), g.tocsr()
            np.testing.assert_array_equal(f.indptr, g.indptr)
            np.testing.assert_array_equal(f.indices, g.indices)
            np.testing.assert_array_equal(sq.round(g.data, fmt), g.data)
    # l2r and r2l push the scales through the whole chain: far better than RTN (measured 3.8–28× here).
    assert row["sq l2r"]["error"] < rtn / 3 and row["sq r2l"]["error"] < rtn / 3


@pytest.mark.parametrize("n,fmt", CASES)
def test_against_lazylinop_qbutterfly(n, fmt):
    reason = _lazylinop_reason()
    if reason:
        pytest.skip(reason)
    try:
        example.lazylinop_target(fmt)
    except example.Unavailable as e:
        pytest.skip(str(e))
    row = comparison(n, fmt)
    ll_pairwise, ll_l2r = row["ll pairwise"]["error"], row["ll l2r"]["error"]
    assert ll_pairwise is not None and ll_l2r is not None, row["ll pairwise"].get("reason")
    # Sanity of the comparison: lazylinop's pairs beat RTN too.
    assert ll_pairwise < row["rtn"]["error"]
    # Pairwise: ours solves every rank-one problem of every pair exactly over the whole grid, so each pair
    # (B_2i, B_2i+1) is at least as close to its product as lazylinop's (a theorem: equal for p=K, where
    # lazylinop's chop mode is exact too; usually lower for dtype targets, whose breakpoints lazylinop builds for
    # one bit less than the format has).
    F = example.butterfly_faust(n, SEED)
    original = [f.tocsr() for f in example.faust_factors(F)]
    ours, theirs = row["sq pairwise"]["factors"], row["ll pairwise"]["factors"]
    for i in range(0, len(original) - 1, 2):
        exact = (original[i] @ original[i + 1]).toarray()
        e_ours = np.linalg.norm(exact - (ours[i] @ ours[i + 1]).toarray())
        e_theirs = np.linalg.norm(exact - (theirs[i] @ theirs[i + 1]).toarray())
        assert e_ours <= e_theirs * (1 + 1e-9), (i, e_ours, e_theirs)
    # The whole chain's error is not the sum of the pairs' errors, so for the chain this is not a theorem; it holds
    # on these inputs (even numbers of factors: ours/lazylinop at most 0.97 over 10 seeds at N = 64, equal for
    # p=K); with an odd number (N = 128, last factor by RTN in both) lazylinop came out ahead by up to 1.6%.
    assert row["sq pairwise"]["error"] <= ll_pairwise * (1 + 1e-9)
    if fmt.startswith("p="):
        assert row["sq pairwise"]["error"] == pytest.approx(ll_pairwise, rel=1e-9)
    # Left to right is a heuristic in both libraries, with different per-column criteria (ours: best cosine with
    # the column; lazylinop's: the rank-one optimum against the row of the rest of the product, with that row
    # rounded), so neither dominates: measured ours/lazylinop 0.76–1.03 on these inputs, up to 1.17 on other seeds
    # (docs/Python.md). Guard against a regression with a bound the measured values respect with a margin.
    assert row["sq l2r"]["error"] <= 1.25 * ll_l2r, (row["sq l2r"]["error"], ll_l2r)


def _ks_npz(path, ks_values):
    np.savez(path, **{"factor_%d" % k: v for k, v in enumerate(ks_values)})


@pytest.mark.parametrize("fmt", ["e4m3", "bf16", "p=4"])
def test_r2l_equals_cli_butterfly(cli, tmp_path, fmt):
    n = 64
    F = example.butterfly_faust(n, SEED)
    ksv = example.factors_to_ks_values(example.faust_factors(F), n)
    src, out = tmp_path / "f.npz", tmp_path / "q.npz"
    _ks_npz(src, ksv)
    ref = cli("butterfly", "--factors", src, "--format", fmt, "--method", "r2l", "--json", "--out", out)
    G, info = sq.quantize_faust(F, fmt, "r2l", return_info=True)
    q = example.factors_to_ks_values(example.faust_factors(G), n)
    saved = np.load(out)
    for k, v in enumerate(q):
        np.testing.assert_array_equal(v, saved["factor_%d" % k], err_msg="factor %d" % k)
    assert info["relative_error"] == pytest.approx(ref["relative_error"], rel=1e-12)
    assert info["rtn_relative_error"] == pytest.approx(ref["rtn_relative_error"], rel=1e-12)
    assert info["method"] == "r2l" and info["rank_one_problems"] == (F.numfactors() - 1) * n
    # l2r of the butterfly CLI is not the same algorithm as the generic l2r (tie-breaks differ), but r2l is.
    assert ref["method"] == "r2l"


def test_r2l_any_storage_and_entry_order():
    """r2l recognizes the butterfly pattern whatever the storage: CSR, CSC, COO in shuffled order, dense."""
    import scipy.sparse as sp
    n = 32
    F = example.butterfly_faust(n, 3)
    factors = [f.tocsr() for f in example.faust_factors(F)]
    base, _ = sq.quantize_factors(factors, "e4m3", "r2l")
    rng = np.random.default_rng(1)
    mixed = []
    for k, f in enumerate(factors):
        if k % 3 == 0:
            coo = f.tocoo()
            perm = rng.permutation(coo.nnz)
            mixed.append(sp.coo_matrix((coo.data[perm], (coo.row[perm], coo.col[perm])), shape=coo.shape))
        elif k % 3 == 1:
            mixed.append(f.tocsc())
        else:
            mixed.append(f.toarray())
    q, info = sq.quantize_factors(mixed, "e4m3", "right-to-left")
    assert info["method"] == "r2l"
    for a, b in zip(base, q):
        np.testing.assert_array_equal(a.toarray(), b.toarray() if hasattr(b, "toarray") else b)


def test_r2l_refuses_where_it_does_not_apply():
    # pyfaust.wht's constant-geometry factors (2 entries per row of an n × n factor) are not Kronecker-sparse.
    with pytest.raises(sq.ScaleQuantError, match="factor 0 .*not Kronecker-sparse.*use l2r") as e:
        sq.quantize_factors(wht_factors(16), "e4m3", "r2l")
    assert e.value.code == 4
    F = pyfaust.wht(16, normed=False)
    with pytest.raises(sq.ScaleQuantError, match="not Kronecker-sparse"):
        sq.quantize_faust(F, "bf16", "r2l")
    # Two dense factors are Kronecker-sparse (pattern (1, m, n, 1)) but their rank-one terms overlap.
    rng = np.random.default_rng(2)
    with pytest.raises(sq.ScaleQuantError, match="factors 0 and 1.*both contribute") as e:
        sq.quantize_factors([rng.standard_normal((4, 3)), rng.standard_normal((3, 5))], "e4m3", "r2l")
    assert e.value.code == 4
    # Beyond the rank-one limits: refused, no crash.
    n = 16
    factors = [f.tocsr() for f in example.faust_factors(example.butterfly_faust(n, 1))]
    with pytest.raises(sq.ScaleQuantError, match="breakpoints") as e:
        sq.quantize_factors(factors, "binary64", "r2l")
    assert e.value.code == 4
    # Magnitudes within the rank-one solver's limits are quantized, as by the CLI (2^450 in one factor); a first
    # pair whose product is beyond the solver's 2^±800 is refused, naming the term.
    big = [f.copy() for f in factors]
    big[2].data[0] = 2.0 ** 450
    q, _ = sq.quantize_factors(big, "e4m3", "r2l")
    for f in q:
        np.testing.assert_array_equal(f.data, sq.round(f.data, "e4m3"))
    huge = [f.copy() for f in factors]
    huge[0].data *= 2.0 ** 500
    huge[1].data *= 2.0 ** 400
    with pytest.raises(sq.ScaleQuantError, match="factors 0 and 1, term .*beyond the supported 2\\^±800") as e:
        sq.quantize_factors(huge, "e4m3", "r2l")
    assert e.value.code == 4
    # One factor: round to nearest, like the other methods.
    one = [rng.standard_normal((3, 4))]
    q, info = sq.quantize_factors(one, "e4m3", "r2l")
    np.testing.assert_array_equal(q[0], sq.round(one[0], "e4m3"))


def test_example_script_runs(tmp_path):
    """The example's command line prints its table (lazylinop switched off: fast)."""
    r = subprocess.run([sys.executable, str(REPO / "python" / "examples" / "butterfly_faust.py"), "--sizes", "16",
                        "--formats", "e4m3,p=3", "--no-lazylinop"], capture_output=True, text=True, cwd=tmp_path,
                       check=True)
    lines = [l for l in r.stdout.splitlines() if not l.startswith("#")]
    assert lines[0].split()[:3] == ["N", "format", "rtn"]
    assert len(lines) == 4 and lines[1].split()[:2] == ["16", "e4m3"]
    assert lines[-1] == "n/a: lazylinop comparison switched off"

