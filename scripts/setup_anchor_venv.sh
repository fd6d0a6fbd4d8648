#!/usr/bin/env bash
# Creates the Python environment of the lazylinop / pyfaust comparisons:
#   scripts/anchor_rank1.py             (called by `scalequant-bench rank1`, scripts/make_rank1_anchor_fixtures.sh)
#   scripts/bench_lazylinop_butterfly.py (called by `scalequant-bench butterfly`)
#
#   bash scripts/setup_anchor_venv.sh                 # -> .build/anchors-venv (in the package root)
#   ANCHORS_VENV=/some/dir bash scripts/setup_anchor_venv.sh
#   ANCHORS_TORCH=0 bash scripts/setup_anchor_venv.sh  # without torch
#
# The benchmarks look for .build/anchors-venv/bin/python by default; point them at another environment with
# ANCHORS_PYTHON=/some/dir/bin/python. Pins: scripts/anchor_requirements.txt. torch (CPU build 2.13.0+cpu) is
# optional: it provides the bfloat16 and float8 targets of lazylinop (numpy has only float16); without it those
# formats are reported as unavailable and the others still run. pip must be able to find a torch 2.13.0+cpu wheel
# (a find-links directory or an index holding CPU wheels). Not used by the tests or by CI.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${ANCHORS_VENV:-$ROOT/.build/anchors-venv}"
PY="${PYTHON:-python3}"
echo "== anchor venv at $VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -r "$ROOT/scripts/anchor_requirements.txt"
if [ "${ANCHORS_TORCH:-1}" != "0" ]; then
    if ! "$VENV/bin/python" -m pip install --quiet "torch==2.13.0+cpu"; then
        echo "WARNING: torch 2.13.0+cpu not installed: only fp16 and p=K formats can be compared" >&2
    fi
fi
"$VENV/bin/python" -m pip freeze | grep -iE "^(numpy|scipy|lazylinop|pyfaust|psutil|pandas|torch)==" || true
"$VENV/bin/python" -c "import lazylinop.quantization, lazylinop.butterfly, pyfaust; print('anchor venv ready')"
