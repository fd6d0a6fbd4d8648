#!/usr/bin/env bash
# Regenerates Tests/ScaleQuantTests/Fixtures/rank1_anchor: the generated rank-one problems of
# scripts/anchor_rank1.py (m = n ∈ {16, 64, 256}, 3 each, default seed) with lazylinop 1.24.28's qrank_one errors,
# for RankOneAnchorTests. Not run by the tests or by CI.
# Runs in the `anchors` environment of scripts/venv-python (made on first use; or SCALEQUANT_PYTHON=/other/python).
set -euo pipefail
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
scripts/venv-python anchors scripts/anchor_rank1.py --sizes 16,64,256 \
    --formats float16,bfloat16,float8_e4m3fn,float8_e5m2,t2,t3,t4,t5,t7,t10 --dump-dir "$TMP"
OUT=Tests/ScaleQuantTests/Fixtures/rank1_anchor
mkdir -p "$OUT"
cp "$TMP"/m*_x.npy "$TMP"/m*_y.npy "$OUT"/
"$PY" - "$TMP/manifest.json" "$OUT/manifest.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
keep = [{k: r[k] for k in ("case", "fmt", "m", "n", "rtn", "opt", "time_s")} for r in rows]
src = ("lazylinop 1.24.28 via scripts/anchor_rank1.py --sizes 16,64,256 --formats "
       "float16,bfloat16,float8_e4m3fn,float8_e5m2,t2,t3,t4,t5,t7,t10 --dump-dir DIR "
       "(scripts/make_rank1_anchor_fixtures.sh)")
json.dump({"source": src, "rows": keep}, open(sys.argv[2], "w"), indent=0)
PY
rm -rf "$TMP"
