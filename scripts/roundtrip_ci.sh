#!/usr/bin/env bash
# Round-trip check of `scalequant quantize` against Python (issue #6): runs scripts/roundtrip_digits.py in the
# `digits` environment of scripts/venv-python (numpy, scikit-learn, safetensors; made on first use). Arguments are
# passed on to it, e.g.
#     scripts/roundtrip_ci.sh --scalequant .build/release/scalequant --format e4m3 --method cd
# Environment: BUILD=1 to run `swift build -c release` first; scripts/venv-python's variables (SCALEQUANT_VENVS,
# SCALEQUANT_PYTHON, PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${BUILD:-0}" = "1" ]; then
    echo "== swift build -c release"
    swift build -c release --product scalequant
fi

echo "== roundtrip"
exec scripts/venv-python digits scripts/roundtrip_digits.py "$@"
