#!/usr/bin/env bash
# Python package CI: a fresh venv, `pip install ./python` (which runs `swift build -c release --product
# ScaleQuantC`), then the pytest suite. Run from anywhere; the CLI comparisons use .build/{release,debug}/scalequant
# (built by `swift build` earlier in .ci/run); here they fail if it is absent (SCALEQUANT_REQUIRE_CLI=1; a bare
# pytest run skips them).
#
# Third-party packages, pinned to the versions scripts/requirements/anchors.txt uses (they install here, Python
# 3.11): pyfaust 3.41.0, lazylinop 1.24.28 with psutil 7.2.2 and pandas 3.1.1 (`import lazylinop.quantization`
# fails without psutil, and `lazylinop.butterfly` without pandas, although lazylinop lists both only in its 'full'
# extra). Each is optional: if one cannot be installed, a warning is printed
# and the tests that need it skip with that reason. torch (CPU build 2.13.0+cpu, found through pip's configured
# find-links on this machine) only adds the lazylinop comparisons at bf16 and e4m3, whose targets are torch dtypes;
# SCALEQUANT_CI_TORCH=0 skips it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${SCALEQUANT_VENV:-${SCALEQUANT_VENVS:-$ROOT/.build/venvs}/python-ci}"
PY="${PYTHON:-python3}"
PIP=("$VENV/bin/python" -m pip install --quiet)

echo "== python: venv at $VENV"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"${PIP[@]}" --upgrade pip
"${PIP[@]}" numpy scipy pytest
if ! "${PIP[@]}" "pyfaust==3.41.0"; then
    echo "WARNING: pyfaust could not be installed: its tests will be skipped" >&2
fi
if ! "${PIP[@]}" "lazylinop==1.24.28" "psutil==7.2.2" "pandas==3.1.1"; then
    echo "WARNING: lazylinop could not be installed: the qbutterfly comparisons will be skipped" >&2
fi
if [ "${SCALEQUANT_CI_TORCH:-1}" != "0" ] && ! "${PIP[@]}" "torch==2.13.0+cpu"; then
    echo "WARNING: torch 2.13.0+cpu could not be installed: lazylinop comparisons at bf16/e4m3 will be skipped" >&2
fi
"$VENV/bin/python" -m pip freeze | grep -iE "^(numpy|scipy|pyfaust|lazylinop|psutil|pandas|torch|pytest)==" || true

echo "== python: pip install ./python (builds libScaleQuantC in release mode)"
"$VENV/bin/python" -m pip install "$ROOT/python"

echo "== python: pytest"
# Run from the tests folder (not python/, whose scalequant/ source folder would shadow the installed package).
cd "$ROOT/python/tests"
(cd /tmp && env -u SCALEQUANT_LIB "$VENV/bin/python" -c "import scalequant; print(\"scalequant loads\", scalequant._lib.lib_path)")
SCALEQUANT_REQUIRE_CLI=1 env -u SCALEQUANT_LIB "$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider .
