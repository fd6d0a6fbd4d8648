#!/usr/bin/env python3
"""Quantizing the Faust of ``pyfaust.fact.butterfly``: ScaleQuant vs round-to-nearest vs lazylinop's ``qbutterfly``.

For each size N (a power of two) the input is the butterfly factorization of a seeded Gaussian matrix::

    M = numpy.random.default_rng([seed, N]).standard_normal((N, N))
    F = pyfaust.fact.butterfly(M, type="bbtree")   # log2 N factors with square-dyadic butterfly supports

and the reference is the product of F's factors, A = F.toarray() (how well F approximates M does not matter here).
The same factors are quantized to each format with

* ``rtn``: every factor rounded to nearest (``scalequant.quantize_faust(F, fmt, "rtn")``);
* ``sq pairwise``, ``sq l2r``, ``sq r2l``: ``scalequant.quantize_faust(F, fmt, method)``;
* ``ll pairwise``, ``ll l2r``: ``lazylinop.quantization.qbutterfly(ks_values, target, order)`` on the same factors
  converted to lazylinop's ``ks_values`` (factor l has pattern (2^(l-1), 2, 2, N/2^l)). Targets: ``numpy.float16``
  for fp16, ``torch.bfloat16`` / ``torch.float8_e4m3fn`` / ``torch.float8_e5m2`` for bf16 / e4m3 / e5m2 (these
  need torch), and for the idealized ``p=K`` (K significant bits, unbounded exponent) lazylinop's internal
  ``_algo7_2_pairwise`` / ``_algo7_3_left2right`` with ``rnd="chop"`` and K bits (its public API has no arbitrary
  precision for real data).

Every error is ‖A − Π Q_k‖_F / ‖A‖_F, computed here in float64 from dense products (not the libraries' own
estimates). Times are wall-clock seconds of the quantization call (ScaleQuant's includes its own exact error
computation). Run from anywhere::

    python python/examples/butterfly_faust.py                    # N = 64, 256; fp16, bf16, e4m3, p=4
    python python/examples/butterfly_faust.py --sizes 64 --formats e4m3 --markdown
    python python/examples/butterfly_faust.py --sizes 64,128 --seeds 0-9   # ratios ScaleQuant/lazylinop

With ``--seeds`` (a list or range of seeds) it prints, per (N, format), the min / median / max over the seeds of
the ratios ScaleQuant / lazylinop of the pairwise and the l2r errors instead of the table.

Needs numpy, scipy, pyfaust and scalequant; lazylinop (plus psutil, and torch for bf16/e4m3/e5m2) for the
``ll`` columns, which print ``n/a`` (with the reason below the table) when unavailable.
"""
import argparse
import sys
import time
import warnings

import numpy as np

#: lazylinop targets of our formats: (module, dtype name); "p=K" formats use chop with K bits.
LAZYLINOP_DTYPES = {
    "fp16": ("numpy", "float16"), "binary16": ("numpy", "float16"), "half": ("numpy", "float16"),
    "bf16": ("torch", "bfloat16"), "bfloat16": ("torch", "bfloat16"),
    "e4m3": ("torch", "float8_e4m3fn"), "e4m3fn": ("torch", "float8_e4m3fn"),
    "e5m2": ("torch", "float8_e5m2"),
}
METHODS = ["rtn", "sq pairwise", "sq l2r", "sq r2l", "ll pairwise", "ll l2r"]


class Unavailable(Exception):
    """A comparison that cannot run here (a package or a target dtype is missing); the message says why."""


def butterfly_faust(n, seed=0):
    """The Faust ``pyfaust.fact.butterfly(M, type="bbtree")`` of M = default_rng([seed, n]).standard_normal((n, n))."""
    import pyfaust
    import pyfaust.fact
    m = np.random.default_rng([seed, n]).standard_normal((n, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfaust warns about the optional einops
        return pyfaust.fact.butterfly(m, type="bbtree")


def square_dyadic_patterns(n):
    """The patterns (a, b, c, d) of the square-dyadic chain of size n: (2^(l-1), 2, 2, n/2^l), l = 1..log2 n."""
    levels = int(round(np.log2(n)))
    if 2 ** levels != n or n < 2:
        raise ValueError("size %d is not a power of two >= 2" % n)
    return [(2 ** (l - 1), 2, 2, n // 2 ** l) for l in range(1, levels + 1)]


def _support(pattern):
    """Row and column indices of every (i_a, i_b, i_c, i_d) of a pattern, as arrays of shape (a, b, c, d)."""
    a, b, c, d = pattern
    ia, ib, ic, id_ = np.indices((a, b, c, d))
    return ia * b * d + ib * d + id_, ia * c * d + ic * d + id_


def factors_to_ks_values(factors, n):
    """Square-dyadic butterfly factors (scipy.sparse or dense n × n) → lazylinop ks_values (4-D float64 arrays).

    Entry [i_a, i_b, i_c, i_d] of factor l is the matrix entry (i_a·b·d + i_b·d + i_d, i_a·c·d + i_c·d + i_d).
    Raises ValueError if a factor has a non-zero entry outside its pattern's support.
    """
    pats = square_dyadic_patterns(n)
    if len(factors) != len(pats):
        raise ValueError("%d factors, expected log2 %d = %d" % (len(factors), n, len(pats)))
    out = []
    for k, (f, p) in enumerate(zip(factors, pats)):
        dense = f.toarray() if hasattr(f, "toarray") else np.asarray(f, dtype=np.float64)
        rows, cols = _support(p)
        ks = np.ascontiguousarray(dense[rows, cols], dtype=np.float64)
        if np.count_nonzero(dense) != np.count_nonzero(ks):
            raise ValueError("factor %d has entries outside the butterfly support %s" % (k, p))
        out.append(ks)
    return out


def ks_values_to_sparse(ks):
    """A 4-D ks_values array → the scipy.sparse CSR matrix it represents."""
    import scipy.sparse as sp
    a, b, c, d = ks.shape
    rows, cols = _support(ks.shape)
    return sp.csr_matrix((np.asarray(ks, dtype=np.float64).ravel(), (rows.ravel(), cols.ravel())),
                         shape=(a * b * d, a * c * d))


def dense_product(factors):
    """The dense float64 product of a list of scipy.sparse / dense factors."""
    p = None
    for f in reversed(factors):
        p = (f.toarray() if hasattr(f, "toarray") else np.asarray(f, dtype=np.float64)) if p is None else f @ p
    return np.asarray(p, dtype=np.float64)


def product_error(reference, factors):
    """‖reference − Π factors‖_F / ‖reference‖_F."""
    return float(np.linalg.norm(reference - dense_product(factors)) / np.linalg.norm(reference))


def faust_factors(F):
    """The factors of a Faust as a list (scipy.sparse or dense)."""
    return [F.factors(i) for i in range(F.numfactors())]


def scalequant_quantize(F, fmt, method):
    """(quantized factors, info, seconds) of ``scalequant.quantize_faust(F, fmt, method)``."""
    import scalequant as sq
    t0 = time.perf_counter()
    G, info = sq.quantize_faust(F, fmt, method, return_info=True)
    seconds = time.perf_counter() - t0
    return faust_factors(G), info, seconds


def lazylinop_target(fmt):
    """The lazylinop target of a format: ("dtype", numpy/torch dtype) or ("chop", K) for p=K.

    Raises Unavailable when the format has no lazylinop counterpart here (e.g. bf16 without torch).
    """
    key = fmt.lower().replace(" ", "")
    if key.startswith("p=") and key[2:].isdigit():
        return "chop", int(key[2:])
    if key not in LAZYLINOP_DTYPES:
        raise Unavailable("format %s has no lazylinop target" % fmt)
    module, name = LAZYLINOP_DTYPES[key]
    if module == "numpy":
        return "dtype", np.dtype(name)
    try:
        import torch
    except ImportError:
        raise Unavailable("lazylinop needs torch for %s (torch.%s); torch is not installed" % (fmt, name)) from None
    return "dtype", getattr(torch, name)


def lazylinop_quantize(ks_values, fmt, order, seed=0):
    """(quantized factors as scipy.sparse CSR, seconds) of lazylinop's butterfly quantization.

    ``order`` is "pairwise" or "l2r". Dtype targets go through the public ``qbutterfly``; ``p=K`` through the
    internal ``_algo7_2_pairwise`` / ``_algo7_3_left2right`` with ``rnd="chop"`` and K significant bits (their
    ``_nmant`` is wrapped during the call so that an integer precision passes through, as in
    scripts/bench_lazylinop_butterfly.py). ``np.random`` (and torch) are seeded with ``seed`` first, since
    lazylinop's own error estimate draws from them. Raises Unavailable if lazylinop cannot be imported.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from lazylinop.butterfly import ksm
            from lazylinop.quantization import qbutterfly
            import lazylinop.quantization.algo as qalgo
    except Exception as e:  # ImportError, or psutil missing inside lazylinop
        raise Unavailable("lazylinop cannot be imported: %s: %s" % (type(e).__name__, e)) from None
    kind, target = lazylinop_target(fmt)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
    ksv = [np.ascontiguousarray(k) for k in ks_values]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "dtype":
            t0 = time.perf_counter()
            q, _ = qbutterfly(list(ksv), target, order)
            seconds = time.perf_counter() - t0
        else:
            original = qalgo._nmant
            qalgo._nmant = lambda t: t if isinstance(t, int) else original(t)
            try:
                fn = qalgo._algo7_3_left2right if order == "l2r" else qalgo._algo7_2_pairwise
                t0 = time.perf_counter()
                q, _ = fn(ksm(list(ksv)), target, rnd="chop", t=target)
                seconds = time.perf_counter() - t0
            finally:
                qalgo._nmant = original
    out = []
    for k in q:
        if torch is not None and isinstance(k, torch.Tensor):
            k = k.detach().to(torch.float64).cpu().numpy()
        out.append(ks_values_to_sparse(np.asarray(k, dtype=np.float64)))
    return out, seconds


def compare(n, fmt, seed=0, lazylinop=True, faust=None):
    """Every method on the butterfly Faust of size n at one format.

    Returns a dict: ``n``, ``format``, and per method of ``METHODS`` (``rtn``, ``sq pairwise``, …) a dict with
    ``error`` (measured here), ``seconds`` and, for ScaleQuant, ``library_error`` (its own exact error) and
    ``factors``; a lazylinop method that cannot run has ``error`` None and ``reason``.
    """
    F = butterfly_faust(n, seed) if faust is None else faust
    reference = F.toarray()
    row = {"n": n, "format": fmt}
    for method in ("rtn", "pairwise", "l2r", "r2l"):
        factors, info, seconds = scalequant_quantize(F, fmt, method)
        key = "rtn" if method == "rtn" else "sq " + method
        row[key] = {"error": product_error(reference, factors), "seconds": seconds,
                    "library_error": info["relative_error"], "factors": factors}
    ksv = factors_to_ks_values(faust_factors(F), n)
    for order in ("pairwise", "l2r"):
        key = "ll " + order
        if not lazylinop:
            row[key] = {"error": None, "seconds": None, "reason": "lazylinop comparison switched off"}
            continue
        try:
            factors, seconds = lazylinop_quantize(ksv, fmt, order, seed)
        except Unavailable as e:
            row[key] = {"error": None, "seconds": None, "reason": str(e)}
            continue
        row[key] = {"error": product_error(reference, factors), "seconds": seconds, "factors": factors}
    return row


def format_table(rows, markdown=False):
    """The rows of :func:`compare` as a text (or Markdown) table: one line per (N, format), cells
    "error (seconds)"."""
    header = ["N", "format"] + METHODS
    lines = []
    reasons = []
    for r in rows:
        cells = [str(r["n"]), r["format"]]
        for m in METHODS:
            v = r[m]
            if v["error"] is None:
                cells.append("n/a")
                if v["reason"] not in reasons:
                    reasons.append(v["reason"])
            elif m == "rtn":
                cells.append("%.3e" % v["error"])
            else:
                cells.append("%.3e (%.2f s)" % (v["error"], v["seconds"]))
        lines.append(cells)
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(c) + " |" for c in lines]
    else:
        widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(header)]
        out = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
        out += ["  ".join(c.rjust(w) for c, w in zip(cells, widths)) for cells in lines]
    out += ["n/a: " + r for r in reasons]
    return "\n".join(out)


def parse_seeds(text):
    """Seeds from "3", "0,2,5" or "0-9" (inclusive range)."""
    seeds = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            seeds.extend(range(int(lo), int(hi) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def ratio_summary(sizes, formats, seeds):
    """Lines "N format: pairwise min/median/max, l2r min/median/max" of ScaleQuant / lazylinop error ratios."""
    lines = ["%5s  %-6s  %-28s  %-28s" % ("N", "format", "pairwise sq/ll min med max", "l2r sq/ll min med max")]
    for n in sizes:
        for fmt in formats:
            pw, lr = [], []
            for seed in seeds:
                row = compare(n, fmt, seed)
                if row["ll l2r"]["error"] is None:
                    return lines + ["n/a: " + row["ll l2r"]["reason"]]
                pw.append(row["sq pairwise"]["error"] / row["ll pairwise"]["error"])
                lr.append(row["sq l2r"]["error"] / row["ll l2r"]["error"])
                print("# done N=%d %s seed %d" % (n, fmt, seed), file=sys.stderr, flush=True)
            cells = ["%.3f %.3f %.3f" % (min(v), float(np.median(v)), max(v)) for v in (pw, lr)]
            lines.append("%5d  %-6s  %-28s  %-28s" % (n, fmt, cells[0], cells[1]))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="64,256", help="comma-separated sizes N = 2^k (default 64,256)")
    ap.add_argument("--formats", default="fp16,bf16,e4m3,p=4", help="comma-separated formats (default fp16,bf16,e4m3,p=4)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the Gaussian matrices (default 0)")
    ap.add_argument("--no-lazylinop", action="store_true", help="skip the lazylinop columns")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--seeds", help="several seeds (e.g. 0-9): print ScaleQuant/lazylinop error ratios instead")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    formats = [s.strip() for s in args.formats.split(",") if s.strip()]
    versions = []
    for name in ("numpy", "pyfaust", "lazylinop", "torch"):
        try:
            from importlib.metadata import version
            versions.append("%s %s" % (name, version(name)))
        except Exception:
            versions.append("%s -" % name)
    import scalequant as sq
    print("# pyfaust.fact.butterfly of default_rng([%s, N]).standard_normal((N, N)); relative product errors "
          "‖A − ΠQ‖_F/‖A‖_F (seconds)" % ("seed" if args.seeds else args.seed))
    print("# " + ", ".join(versions) + ", scalequant C interface %d.%d" % (sq.abi_version(), sq.abi_revision()))
    if args.seeds:
        seeds = parse_seeds(args.seeds)
        print("# seeds %s" % ",".join(map(str, seeds)))
        print("\n".join(ratio_summary(sizes, formats, seeds)))
        return 0
    rows = []
    for n in sizes:
        F = butterfly_faust(n, args.seed)
        for fmt in formats:
            rows.append(compare(n, fmt, args.seed, lazylinop=not args.no_lazylinop, faust=F))
            print("# done N=%d %s" % (n, fmt), file=sys.stderr, flush=True)
    print(format_table(rows, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
