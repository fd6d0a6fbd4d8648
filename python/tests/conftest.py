import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _find_cli():
    env = os.environ.get("SCALEQUANT_CLI")
    if env:
        return Path(env) if Path(env).is_file() else None
    for config in ("release", "debug"):
        p = REPO / ".build" / config / "scalequant"
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return None


CLI_PATH = _find_cli()


@pytest.fixture(scope="session")
def cli():
    """Runs the scalequant CLI with arguments and returns the parsed JSON output (skips if no binary)."""
    if CLI_PATH is None:
        pytest.skip("scalequant CLI not built (.build/{release,debug}/scalequant); run `swift build` first")

    def run(*args):
        out = subprocess.run([str(CLI_PATH), *map(str, args)], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)
    return run
