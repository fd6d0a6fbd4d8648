#!/usr/bin/env python3
"""Markdown tables from the CSV of `scalequant experiment networks` (or `experiment graphs`).

Usage: python3 scripts/experiment_table.py results.csv
Prints one row per (model, format, method): relative l2 path-metric, output error and accuracy on the input as
given and on its randomly rescaled copy, then, per model and format, how cd compares with rtn and cle, and the
largest relative change of the path-metric under rescaling per method. Standard library only.
"""
import csv
import sys
from collections import defaultdict


def main(path):
    rows = list(csv.DictReader(open(path)))
    key = lambda r: (r["model"], r["format"], r["method"])
    by = defaultdict(dict)
    order = []
    for r in rows:
        k = key(r)
        if k not in by:
            order.append(k)
        by[k][r["rescaled"]] = r

    def acc(r):
        return f"{float(r['accuracy']):.4f}" if r.get("accuracy") else "–"

    print("| model | format | method | rel. ℓ² path-metric | output rel. error | accuracy | rel. ℓ² path-metric, "
          "rescaled input | output rel. error, rescaled input | accuracy, rescaled input | sweeps | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for k in order:
        a, b = by[k].get("no"), by[k].get("yes")
        if a is None or b is None:
            continue
        print(f"| {k[0]} | {k[1]} | {k[2]} | {float(a['relative_l2_path_metric']):.3e} | "
              f"{float(a['output_relative_error']):.3e} | {acc(a)} | {float(b['relative_l2_path_metric']):.3e} | "
              f"{float(b['output_relative_error']):.3e} | {acc(b)} | {a['sweeps']} | {float(a['seconds']):.2f} |")

    print()
    print("cd against rtn and cle (input as given): ratio of ℓ² path-metrics, cd / baseline (≤ 1 means cd is better)")
    print()
    print("| model | format | cd / rtn | cd / cle |")
    print("|---|---|---|---|")
    cases = sorted({(m, f) for (m, f, _) in order}, key=lambda c: [k[:2] for k in order].index(c))
    worst = 0.0
    for m, f in cases:
        try:
            cd = float(by[(m, f, "cd")]["no"]["l2_path_metric"])
            rtn = float(by[(m, f, "rtn")]["no"]["l2_path_metric"])
            cle = float(by[(m, f, "cle")]["no"]["l2_path_metric"])
        except KeyError:
            continue
        r1 = cd / rtn if rtn > 0 else float("nan")
        r2 = cd / cle if cle > 0 else float("nan")
        worst = max(worst, r1, r2)
        print(f"| {m} | {f} | {r1:.3f} | {r2:.3f} |")
    print()
    print(f"largest cd / baseline ratio: {worst:.6f}")
    print()
    change = defaultdict(float)
    for (m, f, meth), d in by.items():
        if "no" in d and "yes" in d:
            a, b = float(d["no"]["l2_path_metric"]), float(d["yes"]["l2_path_metric"])
            if a > 0:
                change[meth] = max(change[meth], abs(a - b) / a)
    print("largest relative change of the ℓ² path-metric under rescaling: "
          + ", ".join(f"{meth} {v:.2g}" for meth, v in change.items()))


if __name__ == "__main__":
    main(sys.argv[1])
