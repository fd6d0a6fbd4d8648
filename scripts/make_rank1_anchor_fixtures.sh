#!/usr/bin/env bash
# Regenerates Tests/ScaleQuantTests/Fixtures/rank1_anchor: the rank-one problems of the reference anchor script
# (lazylinop 1.24.28's qrank_one) with lazylinop's errors, for RankOneAnchorTests. Not run by the tests.
# Needs the anchor venv: bash ../shared/anchors/setup_venv.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${ANCHORS_PYTHON:-/tmp/anchors-venv/bin/python}
TMP=$(mktemp -d)
"$PY" ../shared/anchors/lazylinop_rank1.py --sizes 16,64,256 \
    --formats float16,bfloat16,float8_e4m3fn,float8_e5m2,t2,t3,t4,t5,t7,t10 --verify-max-m 0 --dump-dir "$TMP"
OUT=Tests/ScaleQuantTests/Fixtures/rank1_anchor
mkdir -p "$OUT"
cp "$TMP"/m*_x.npy "$TMP"/m*_y.npy "$OUT"/
python3 - "$TMP/manifest.json" "$OUT/manifest.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
keep = [{k: r[k] for k in ("case", "fmt", "m", "n", "rtn", "opt", "time_s")} for r in rows]
src = ("lazylinop 1.24.28 via ../shared/anchors/lazylinop_rank1.py --sizes 16,64,256 --formats "
       "float16,bfloat16,float8_e4m3fn,float8_e5m2,t2,t3,t4,t5,t7,t10 --verify-max-m 0 --dump-dir DIR")
json.dump({"source": src, "rows": keep}, open(sys.argv[2], "w"), indent=0)
PY
rm -rf "$TMP"
