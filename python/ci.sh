#!/usr/bin/env bash
# Python package CI: a fresh venv, `pip install ./python` (which runs `swift build -c release --product
# ScaleQuantC`), then the pytest suite. Run from anywhere; the CLI comparisons use .build/{release,debug}/scalequant
# (built by `swift build` earlier in .ci/run) and are skipped if it is absent. pyfaust is optional: if it cannot be
# installed, its tests skip.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${SCALEQUANT_VENV:-$ROOT/.build/python-venv}"
PY="${PYTHON:-python3}"

echo "== python: venv at $VENV"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet numpy scipy pytest
if ! "$VENV/bin/python" -m pip install --quiet "pyfaust==3.41.0"; then
    echo "pyfaust could not be installed: its tests will be skipped" >&2
fi

echo "== python: pip install ./python (builds libScaleQuantC in release mode)"
"$VENV/bin/python" -m pip install "$ROOT/python"

echo "== python: pytest"
# Run from the tests folder (not python/, whose scalequant/ source folder would shadow the installed package).
cd "$ROOT/python/tests"
(cd /tmp && env -u SCALEQUANT_LIB "$VENV/bin/python" -c "import scalequant; print(\"scalequant loads\", scalequant._lib.lib_path)")
env -u SCALEQUANT_LIB "$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider .
