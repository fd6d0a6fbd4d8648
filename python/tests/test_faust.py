import numpy as np
import pytest

pyfaust = pytest.importorskip("pyfaust")

import scalequant as sq  # noqa: E402


def orthonormal_wht(n):
    """The factors of pyfaust.wht(n, normed=False), each scaled by 1/√2: every entry is ±1/√2."""
    F = pyfaust.wht(n, normed=False)
    return pyfaust.Faust([F.factors(i) * (1 / np.sqrt(2)) for i in range(F.numfactors())])


@pytest.mark.parametrize("n", [64, 1024])
@pytest.mark.parametrize("fmt", ["e4m3", "bf16", "fp16"])
def test_quantize_faust_hadamard(n, fmt):
    F = orthonormal_wht(n)
    ref = F.toarray()
    np.testing.assert_allclose(ref @ ref.T, np.eye(n), atol=1e-12)
    for method in ("pairwise", "l2r", "rtn"):
        G, info = sq.quantize_faust(F, fmt, method, return_info=True)
        assert isinstance(G, pyfaust.Faust)
        assert G.numfactors() == F.numfactors()
        for i in range(G.numfactors()):
            g = G.factors(i)
            vals = g.data if hasattr(g, "data") and not isinstance(g, np.ndarray) else np.asarray(g)
            np.testing.assert_array_equal(sq.round(vals, fmt), vals)
        err = np.linalg.norm(ref - G.toarray()) / np.linalg.norm(ref)
        # The Swift library's error agrees with the one measured here.
        assert abs(err - info["relative_error"]) <= 1e-13 + 1e-9 * err
        if method == "rtn":
            assert err > 1e-4
        else:
            assert err < 1e-12


def test_quantize_faust_returns_faust_only_by_default():
    G = sq.quantize_faust(orthonormal_wht(16), "bf16")
    assert isinstance(G, pyfaust.Faust)


def test_quantize_faust_rejects_non_faust():
    with pytest.raises(sq.ScaleQuantTypeError):
        sq.quantize_faust(np.eye(4), "bf16")
