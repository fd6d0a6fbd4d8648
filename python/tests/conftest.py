import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def _find_cli():
    env = os.environ.get("SCALEQUANT_CLI")
    if env:
        return Path(env) if Path(env).is_file() else None
    for config in ("release", "debug"):
        p = REPO / ".build" / config / "scalequant"
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return None


CLI_PATH = _find_cli()


@pytest.fixture(scope="session")
def cli():
    """Runs the scalequant CLI with arguments and returns the parsed JSON output (skips if no binary)."""
    if CLI_PATH is None:
        pytest.skip("scalequant CLI not built (.build/{release,debug}/scalequant); run `swift build` first")

    def run(*args):
        out = subprocess.run([str(CLI_PATH), *map(str, args)], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)
    return run


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
