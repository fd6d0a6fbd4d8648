#!/usr/bin/env python3
"""Runs lazylinop's optimal rank-one quantization on the problems ScaleQuant solves, for comparison.

lazylinop (PyPI package, module ``lazylinop.quantization``) implements Algorithm 5.1 of Gribonval, Mary,
Riccietti, *Optimal quantization of rank-one matrices in floating-point arithmetic*, hal-04125381. This script
calls it on given or generated vectors and reports, per format, lazylinop's time and the exact relative errors
||x y^T - xq yq^T||_F / ||x y^T||_F of its answer and of round-to-nearest, both computed here in float64 from the
returned vectors (lazylinop's own figure is kept as ``reported``). Needs the venv of
the `anchors` environment of ``scripts/venv-python``; used by ``scalequant-bench rank1`` and ``scripts/make_rank1_anchor_fixtures.sh``.

Formats (``--formats``, comma separated; ScaleQuant's name or lazylinop's):

  fp16  / float16          numpy float16, through the public qrank_one
  bf16  / bfloat16         torch.bfloat16, public qrank_one (needs torch)
  e4m3  / float8_e4m3fn    torch.float8_e4m3fn, public qrank_one (needs torch)
  e5m2  / float8_e5m2      torch.float8_e5m2, public qrank_one (needs torch)
  p=P   / tK (K = P - 1)   the idealized grid F_P: P significant bits, unbounded exponent, ties to even; through
                           lazylinop's internal _algo5_1_opt_lambda(x, y, P, rnd='chop'), RTN = chop(v, P)

lazylinop's "t" counts stored fraction bits, so ScaleQuant's p=P is its t(P-1). The public qrank_one derives its
candidate scalings from finfo(dtype).nmant bits while it rounds to nmant + 1 bits, so on dtype targets it can miss
the optimum (docs/Theory.md, section 2); on the tK grids it is exact. A row's ``fmt`` is the name given.

Modes:

  --x X.npy --y Y.npy [--out-dir DIR]
      one problem; DIR/summary.json is the list of rows, DIR/<fmt>_{xhat,yhat}.npy the answers (float64)
  --sizes M1,M2,... [--trials T] [--large-trials T'] [--seed S] [--dump-dir DIR]
      generated problems m = n, x and y standard Gaussian from numpy.random.default_rng([S, m, n, trial])
      (T problems per size below 1024, T' from 1024 up); DIR gets m<m>_n<n>_trial<k>_{x,y}.npy and manifest.json
      (the rows, each with its ``case``)

Every row: fmt, case, m, n, rtn, opt, reported, time_s (the lazylinop call only), in_format (the returned vectors
are fixed points of the format's rounding). One table line per row goes to standard output.
"""
import argparse
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # lazylinop warns at import about optional packages

import numpy as np  # noqa: E402

try:
    from lazylinop.quantization import chop, qrank_one  # noqa: E402
    from lazylinop.quantization.algo import _algo5_1_opt_lambda  # noqa: E402
except ImportError as exc:  # pragma: no cover
    sys.exit("anchor_rank1.py: lazylinop is not importable (%s); run it as scripts/venv-python anchors scripts/anchor_rank1.py …" % exc)

try:
    import torch
except ImportError:  # bfloat16 and float8 targets need torch
    torch = None

DEFAULT_SEED = 20240601
TORCH_FORMATS = {"bfloat16": "bfloat16", "float8_e4m3fn": "float8_e4m3fn", "float8_e5m2": "float8_e5m2"}
ALIASES = {"fp16": "float16", "binary16": "float16", "bf16": "bfloat16", "e4m3": "float8_e4m3fn",
           "e4m3fn": "float8_e4m3fn", "e5m2": "float8_e5m2"}


class Format:
    """One target: how lazylinop is called, how RTN is done, and how many candidate scalings it enumerates."""

    def __init__(self, label):
        self.label = label
        name = label.strip().lower()
        name = ALIASES.get(name, name)
        if name.startswith("p=") and name[2:].isdigit():
            name = "t%d" % (int(name[2:]) - 1)
        if name == "float16":
            self.kind, self.target, self.nmant = "dtype", np.dtype(np.float16), 10
        elif name in TORCH_FORMATS:
            if torch is None:
                raise ValueError("format %s needs torch (not installed)" % label)
            self.kind, self.target = "dtype", getattr(torch, TORCH_FORMATS[name])
            self.nmant = {"bfloat16": 7, "float8_e4m3fn": 3, "float8_e5m2": 2}[name]
        elif name.startswith("t") and name[1:].isdigit() and 1 <= int(name[1:]) <= 51:
            self.kind, self.target, self.nmant = "chop", None, int(name[1:])
        else:
            raise ValueError("unknown format %r" % label)
        self.precision = self.nmant + 1  # significant bits, leading bit included
        # Candidates lazylinop evaluates per non-zero entry of x: dtype targets use nmant bits, chop uses p bits.
        self.candidates_per_entry = 2 ** (self.nmant - 1) if self.kind == "dtype" else 2 ** self.nmant

    def round(self, v):
        """Round-to-nearest of a float64 vector, as lazylinop rounds to this target."""
        if self.kind == "chop":
            return np.asarray(chop(v.reshape(-1, 1), self.precision), dtype=np.float64).reshape(-1)
        if self.target == np.dtype(np.float16):
            return v.astype(np.float16).astype(np.float64)
        return as_float64(torch.from_numpy(np.ascontiguousarray(v)).to(self.target))

    def optimum(self, x, y):
        """lazylinop's answer (xq, yq, its reported error)."""
        xc, yc = x.reshape(-1, 1), y.reshape(-1, 1)
        if self.kind == "dtype":
            xq, yq, rerr = qrank_one(xc, yc, self.target)
        else:
            xq, yq, _lam, _mu, rerr = _algo5_1_opt_lambda(xc, yc, self.precision, rnd="chop")
        return as_float64(xq), as_float64(yq), float(rerr)


def as_float64(a):
    """A numpy or torch array of any dtype as a flat float64 numpy vector."""
    if torch is not None and isinstance(a, torch.Tensor):
        return a.detach().to(torch.float64).cpu().numpy().reshape(-1)
    return np.asarray(a, dtype=np.float64).reshape(-1)


def relative_error(x, y, xq, yq, rows=512):
    """||x y^T - xq yq^T||_F / ||x y^T||_F from the entries (no cancelling expansion), in row blocks."""
    total = 0.0
    for start in range(0, x.size, rows):
        block = np.outer(x[start:start + rows], y) - np.outer(xq[start:start + rows], yq)
        total += float(np.einsum("ij,ij->", block, block))
    scale = float(np.linalg.norm(x)) * float(np.linalg.norm(y))
    if scale == 0.0:
        return 0.0 if total == 0.0 else float("inf")
    return float(np.sqrt(total)) / scale


def solve(case, x, y, fmt):
    """One row, and the answer vectors."""
    xr, yr = fmt.round(x), fmt.round(y)
    started = time.perf_counter()
    xq, yq, reported = fmt.optimum(x, y)
    seconds = time.perf_counter() - started
    row = {"case": case, "fmt": fmt.label, "m": int(x.size), "n": int(y.size),
           "rtn": relative_error(x, y, xr, yr), "opt": relative_error(x, y, xq, yq),
           "reported": reported, "time_s": seconds,
           "in_format": bool(np.array_equal(fmt.round(xq), xq) and np.array_equal(fmt.round(yq), yq))}
    return row, xq, yq


def problems(args):
    """(case, x, y) for every problem to solve."""
    if args.x or args.y:
        if not (args.x and args.y):
            sys.exit("anchor_rank1.py: --x and --y go together")
        x = np.load(args.x).astype(np.float64).reshape(-1)
        y = np.load(args.y).astype(np.float64).reshape(-1)
        return [("input", x, y)]
    out = []
    for m in [int(s) for s in args.sizes.split(",") if s.strip()]:
        for trial in range(args.trials if m < 1024 else args.large_trials):
            rng = np.random.default_rng([args.seed, m, m, trial])
            x = rng.standard_normal(m)
            y = rng.standard_normal(m)
            out.append(("m%d_n%d_trial%d" % (m, m, trial), x, y))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--x", help="x as a .npy file (one problem)")
    ap.add_argument("--y", help="y as a .npy file (one problem)")
    ap.add_argument("--out-dir", help="one problem: where summary.json and the answers go")
    ap.add_argument("--sizes", default="16,64,256", help="generated problems: sizes m = n (default %(default)s)")
    ap.add_argument("--trials", type=int, default=3, help="problems per size below 1024 (default 3)")
    ap.add_argument("--large-trials", type=int, default=1, help="problems per size from 1024 up (default 1)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="base seed (default %(default)s)")
    ap.add_argument("--dump-dir", help="generated problems: where the inputs and manifest.json go")
    ap.add_argument("--formats", default="float16,bfloat16,float8_e4m3fn,float8_e5m2,t2,t3,t4,t5,t7,t10")
    ap.add_argument("--max-candidates", type=float, default=2.0 ** 23,
                    help="skip a problem whose candidate count m x 2^(bits-1) exceeds this (default 2^23)")
    args = ap.parse_args()

    formats = []
    for label in [s for s in args.formats.split(",") if s.strip()]:
        try:
            formats.append(Format(label))
        except ValueError as exc:
            print("# skipped: %s" % exc)
    single = bool(args.x or args.y)
    out_dir = args.out_dir if single else args.dump_dir
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)

    import lazylinop
    print("# lazylinop %s, numpy %s, torch %s, python %s" % (
        getattr(lazylinop, "__version__", "?"), np.__version__, torch.__version__ if torch else "-",
        sys.version.split()[0]))
    print("%-18s %-14s %12s %12s %9s %10s" % ("case", "format", "rtn", "opt", "rtn/opt", "seconds"))
    rows = []
    for case, x, y in problems(args):
        if out_dir and not single:
            np.save(os.path.join(out_dir, case + "_x.npy"), x)
            np.save(os.path.join(out_dir, case + "_y.npy"), y)
        for fmt in formats:
            count = np.count_nonzero(x) * fmt.candidates_per_entry
            if count > args.max_candidates:
                print("%-18s %-14s skipped: %.3g candidates > --max-candidates" % (case, fmt.label, count))
                continue
            row, xq, yq = solve(case, x, y, fmt)
            rows.append(row)
            ratio = row["rtn"] / row["opt"] if row["opt"] > 0 else float("inf")
            print("%-18s %-14s %12.5e %12.5e %9.4f %10.4f%s" % (
                case, fmt.label, row["rtn"], row["opt"], ratio, row["time_s"],
                "" if row["in_format"] else "  (answer not in the format)"), flush=True)
            if out_dir:
                prefix = "" if single else case + "_"
                np.save(os.path.join(out_dir, "%s%s_xhat.npy" % (prefix, fmt.label)), xq)
                np.save(os.path.join(out_dir, "%s%s_yhat.npy" % (prefix, fmt.label)), yq)
    if out_dir:
        with open(os.path.join(out_dir, "summary.json" if single else "manifest.json"), "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
