"""Shared helpers of the tests (importable because pytest puts this folder on sys.path)."""
import numpy as np


def wht_factors(n, scale=1 / np.sqrt(2), fmt="csr"):
    """Constant-geometry Walsh–Hadamard factors (the pattern of pyfaust.wht): rows 2i, 2i+1 use columns i, i+n/2."""
    import scipy.sparse as sp
    levels = int(np.log2(n))
    r, c, v = [], [], []
    for i in range(n // 2):
        r += [2 * i, 2 * i, 2 * i + 1, 2 * i + 1]
        c += [i, i + n // 2, i, i + n // 2]
        v += [1.0, 1.0, 1.0, -1.0]
    f = sp.coo_matrix((np.array(v) * scale, (r, c)), shape=(n, n)).asformat(fmt)
    return [f.copy() for _ in range(levels)]


def dense_product(factors):
    p = None
    for f in factors:
        d = f.toarray() if hasattr(f, "toarray") else np.asarray(f, dtype=np.float64)
        p = d if p is None else p @ d
    return p


def relative_error(a, b):
    pa, pb = dense_product(a), dense_product(b)
    return np.linalg.norm(pa - pb) / np.linalg.norm(pa)
