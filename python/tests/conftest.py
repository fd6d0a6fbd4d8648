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
    """Runs the scalequant CLI with arguments and returns the parsed JSON output. Without a built binary the
    comparisons skip, unless SCALEQUANT_REQUIRE_CLI=1 (python/ci.sh sets it): then they fail."""
    if CLI_PATH is None:
        message = "scalequant CLI not built (.build/{release,debug}/scalequant); run `swift build` first"
        if os.environ.get("SCALEQUANT_REQUIRE_CLI") == "1":
            pytest.fail(message)
        pytest.skip(message)

    def run(*args):
        out = subprocess.run([str(CLI_PATH), *map(str, args)], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)
    return run
