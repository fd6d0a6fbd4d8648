#!/usr/bin/env bash
# Round-trip check of `scalequant quantize` against Python (issue #6): makes a venv with numpy, scikit-learn and
# safetensors, then runs scripts/roundtrip_digits.py. Arguments are passed on to it, e.g.
#     scripts/roundtrip_ci.sh --scalequant .build/release/scalequant --format e4m3 --method cd
# Environment: VENV (default .build/roundtrip-venv in the package root; reused if it exists), PYTHON (default python3),
# BUILD=1 to run `swift build -c release` first.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.build/roundtrip-venv}"
PYTHON="${PYTHON:-python3}"

if [ "${BUILD:-0}" = "1" ]; then
    echo "== swift build -c release"
    swift build -c release --product scalequant
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating venv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
echo "== pip install numpy scikit-learn safetensors"
"$VENV/bin/pip" install --quiet --disable-pip-version-check numpy scikit-learn safetensors

echo "== roundtrip"
exec "$VENV/bin/python" scripts/roundtrip_digits.py "$@"
