#!/usr/bin/env python3
"""Which folders of Sources/ScaleQuant use declarations of which others, and any cycle between two folders.

A rough, textual check (issue #13: "the folders must not import in a circle"): a folder uses another when its code
(comments removed) names a top-level type, function or constant declared there. Private helpers that happen to share
a name with another folder's declaration show up as false positives; read the names it prints.
Usage: python3 scripts/folder_dependencies.py   (from the repository root); exit status 1 if a cycle is found.
"""
import collections, os, re, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "ScaleQuant")
folders = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
def sources(d):
    for f in sorted(os.listdir(os.path.join(root, d))):
        if f.endswith(".swift"):
            yield open(os.path.join(root, d, f), encoding="utf-8").read()
decl = re.compile(r"^(?:public |internal )?(?:final )?(?:struct|enum|class|protocol|typealias|func|let|var) +(\w+)", re.M)
defs = collections.defaultdict(set)
for d in folders:
    for s in sources(d):
        for m in decl.finditer(s):
            defs[m.group(1)].add(d)
uses = collections.defaultdict(lambda: collections.defaultdict(set))
for d in folders:
    text = "\n".join(re.sub(r"//.*", "", s) for s in sources(d))
    for name, where in defs.items():
        if d in where or len(name) < 4:
            continue
        if re.search(r"(?<![.\w])" + name + r"\b", text):
            for o in where:
                uses[d][o].add(name)
cycles = 0
for d in folders:
    print(f"{d} -> {', '.join(sorted(uses[d])) or '(nothing)'}")
for a in folders:
    for b in folders:
        if a < b and b in uses[a] and a in uses[b]:
            cycles += 1
            print(f"CYCLE {a} <-> {b}: {sorted(uses[a][b])} / {sorted(uses[b][a])}")
sys.exit(1 if cycles else 0)
