#!/usr/bin/env python3
"""Driver for `scalequant-bench butterfly`: times lazylinop / pyfaust on inputs written by ScaleQuant.

Modes (one JSON object is printed on stdout):

  quantize --factors F.npz --format FMT --method l2r|pairwise [--seed S]
      F.npz holds factor_0, factor_1, ... (4-D ks_values (a,b,c,d), leftmost
      factor first). FMT is p=K (idealized grid with K significant bits:
      lazylinop's internal _algo7_3_left2right / _algo7_2_pairwise with
      rnd='chop', exactly as /work/shared/anchors/lazylinop_butterfly.py does
      for its tK formats with K = p - 1), e4m3 or bf16 (qbutterfly with the
      torch dtype). Prints {"seconds", "relative_error"} with the error
      ||A - prod(quantized)||_F / ||A||_F computed exactly on dense float64
      matrices, and the time of the lazylinop call only.

  factorize --matrix A.npy
      pyfaust.fact.butterfly(A, type='bbtree') on a dense square matrix; prints
      {"seconds", "relative_error"} (||A - F||_F / ||A||_F).

The helpers (format parsing, the timed lazylinop call, dense products) come
from the anchor script, imported by path; nothing is copied here.
"""
import argparse
import importlib.util
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")

ANCHOR = os.environ.get("SCALEQUANT_ANCHOR",
                        "/work/shared/anchors/lazylinop_butterfly.py")


def load_anchor():
    spec = importlib.util.spec_from_file_location("lazylinop_anchor", ANCHOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # installs its _nmant wrapper for tK formats
    return mod


def anchor_format(name):
    name = name.strip().lower()
    if name.startswith("p="):
        return "t%d" % (int(name[2:]) - 1)
    return {"e4m3": "float8_e4m3fn", "e4m3fn": "float8_e4m3fn",
            "bf16": "bfloat16", "bfloat16": "bfloat16",
            "fp16": "float16", "binary16": "float16",
            "e5m2": "float8_e5m2"}.get(name, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mode", choices=["quantize", "factorize"])
    ap.add_argument("--factors")
    ap.add_argument("--matrix")
    ap.add_argument("--format", default="p=4")
    ap.add_argument("--method", default="l2r", choices=["l2r", "pairwise"])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    import numpy as np

    if args.mode == "quantize":
        anchor = load_anchor()
        z = np.load(args.factors)
        keys = sorted(z.files, key=lambda k: int(k.split("_")[1]))
        ksv = [np.ascontiguousarray(z[k].astype(np.float64)) for k in keys]
        fmt = anchor.parse_format(anchor_format(args.format))
        q, _rep, dt = anchor.run_method(args.method, ksv, None, fmt, args.seed)
        err = anchor.relerr(anchor.dense(ksv), q)
        print(json.dumps({"seconds": dt, "relative_error": float(err),
                          "format": fmt["name"], "method": args.method}))
    else:
        import pyfaust
        import pyfaust.fact
        A = np.load(args.matrix).astype(np.float64)
        t0 = time.perf_counter()
        F = pyfaust.fact.butterfly(A, type="bbtree")
        dt = time.perf_counter() - t0
        err = np.linalg.norm(A - F.toarray()) / np.linalg.norm(A)
        print(json.dumps({"seconds": dt, "relative_error": float(err),
                          "factors": int(F.numfactors())}))


if __name__ == "__main__":
    sys.exit(main())
