#!/usr/bin/env python3
"""Driver for `scalequant-bench butterfly`: times lazylinop / pyfaust on inputs written by ScaleQuant.

Runs in the `anchors` environment of scripts/venv-python (lazylinop 1.24.28, pyfaust 3.41.0; torch for bf16/e4m3/e5m2).
Each mode prints one JSON object as the last line of standard output (the benchmark parses that line).

  quantize --factors F.npz --format FMT --method l2r|pairwise [--seed S]
      F.npz holds factor_0, factor_1, ... (4-D ks_values (a, b, c, d), leftmost factor first: the layout of
      docs/Butterfly.md section 2). FMT is
        p=P              the idealized grid F_P (P significant bits, unbounded exponent, ties to even):
                         lazylinop's internal _algo7_3_left2right / _algo7_2_pairwise with rnd='chop' and the
                         integer precision P (lazylinop's name for this grid is t(P-1));
        fp16             qbutterfly with numpy float16;
        bf16, e4m3, e5m2 qbutterfly with the torch dtype.
      Prints {"seconds", "relative_error", "format", "method"}: the time of the lazylinop call only, and
      ||A - prod(quantized)||_F / ||A||_F computed here exactly from dense float64 products (not lazylinop's
      randomized estimate, which is printed as "reported", null on F_P).

  factorize --matrix A.npy
      pyfaust.fact.butterfly(A, type='bbtree') on a dense square matrix; prints {"seconds", "relative_error",
      "factors"} with the error ||A - F||_F / ||A||_F.
"""
import argparse
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # lazylinop warns at import about optional packages

import numpy as np  # noqa: E402

TORCH_NAMES = {"bf16": "bfloat16", "bfloat16": "bfloat16", "e4m3": "float8_e4m3fn", "e4m3fn": "float8_e4m3fn",
               "float8_e4m3fn": "float8_e4m3fn", "e5m2": "float8_e5m2", "float8_e5m2": "float8_e5m2"}


def ks_dense(ksv):
    """The dense matrix of one Kronecker-sparse factor with values ksv of shape (a, b, c, d): entry
    [ia, ib, ic, id] at row ia*b*d + ib*d + id, column ia*c*d + ic*d + id."""
    a, b, c, d = ksv.shape
    ia, ib, ic, idd = np.indices((a, b, c, d))
    out = np.zeros((a * b * d, a * c * d), dtype=np.float64)
    out[(ia * b * d + ib * d + idd).ravel(), (ia * c * d + ic * d + idd).ravel()] = ksv.ravel()
    return out


def chain_dense(factors):
    """B_1 B_2 ... B_L as a dense float64 matrix (right to left, through sparse factors)."""
    import scipy.sparse
    result = None
    for ksv in reversed(factors):
        f = scipy.sparse.csr_matrix(ks_dense(np.asarray(ksv, dtype=np.float64)))
        result = f.toarray() if result is None else f @ result
    return result


def as_float64(a):
    try:
        import torch
        if isinstance(a, torch.Tensor):
            return a.detach().to(torch.float64).cpu().numpy()
    except ImportError:
        pass
    return np.asarray(a, dtype=np.float64)


def quantize(factors, fmt, method, seed):
    """(quantized factors as float64 arrays, lazylinop's reported error, seconds of the lazylinop call)."""
    import lazylinop.quantization.algo as algo
    from lazylinop.butterfly import ksm
    from lazylinop.quantization import qbutterfly
    np.random.seed(seed)  # lazylinop's error estimate draws from the global generator
    name = fmt.strip().lower()
    if name.startswith("p=") and name[2:].isdigit():
        precision = int(name[2:])
        # lazylinop's butterfly routines read the precision through algo._nmant(target), which accepts only a
        # dtype; let an integer pass through unchanged so that rnd='chop' runs with `precision` significant bits.
        original = algo._nmant
        algo._nmant = lambda target: target if isinstance(target, int) else original(target)
        try:
            op = ksm([np.ascontiguousarray(f) for f in factors])
            routine = algo._algo7_3_left2right if method == "l2r" else algo._algo7_2_pairwise
            started = time.perf_counter()
            q, _rtn = routine(op, precision, rnd="chop", t=precision)
            seconds = time.perf_counter() - started
        finally:
            algo._nmant = original
        return [as_float64(k) for k in q], None, seconds  # these routines report no error
    if name in ("fp16", "float16", "binary16"):
        target = np.dtype(np.float16)
    elif name in TORCH_NAMES:
        import torch
        torch.manual_seed(seed)
        target = getattr(torch, TORCH_NAMES[name])
    else:
        raise SystemExit("bench_lazylinop_butterfly.py: unknown format %r" % fmt)
    started = time.perf_counter()
    q, reported = qbutterfly([np.ascontiguousarray(f) for f in factors], target, method)
    seconds = time.perf_counter() - started
    return [as_float64(k) for k in q], float(reported), seconds


def relative_error(a, b):
    norm = np.linalg.norm(a)
    diff = np.linalg.norm(a - b)
    if norm == 0:
        return 0.0 if diff == 0 else float("inf")
    return float(diff / norm)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["quantize", "factorize"])
    ap.add_argument("--factors", help="quantize: .npz with factor_0, factor_1, ...")
    ap.add_argument("--matrix", help="factorize: .npy square matrix")
    ap.add_argument("--format", default="p=4")
    ap.add_argument("--method", default="l2r", choices=["l2r", "pairwise"])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    if args.mode == "quantize":
        if not args.factors:
            raise SystemExit("quantize needs --factors")
        with np.load(args.factors) as z:
            keys = sorted((k for k in z.files if k.startswith("factor_")), key=lambda k: int(k.split("_")[1]))
            factors = [np.ascontiguousarray(z[k].astype(np.float64)) for k in keys]
        q, reported, seconds = quantize(factors, args.format, args.method, args.seed)
        error = relative_error(chain_dense(factors), chain_dense(q))
        print(json.dumps({"seconds": seconds, "relative_error": error, "reported": reported,
                          "format": args.format, "method": args.method}))
    else:
        if not args.matrix:
            raise SystemExit("factorize needs --matrix")
        import pyfaust.fact
        a = np.load(args.matrix).astype(np.float64)
        started = time.perf_counter()
        f = pyfaust.fact.butterfly(a, type="bbtree")
        seconds = time.perf_counter() - started
        print(json.dumps({"seconds": seconds, "relative_error": relative_error(a, f.toarray()),
                          "factors": int(f.numfactors())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
