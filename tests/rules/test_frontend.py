"""The inline builder's JavaScript: the committed bundle is exactly what its sources build,
and its own tests (node's test runner, frontend/tests/) pass.

The bundle is committed so that `make run` needs only Python: these tests are what keeps
it honest. Without Node or `npm ci` they skip, which fails them under CI=true.
"""

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
BUNDLE = ROOT / "static" / "js" / "builder.js"


def _node():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found (apt-get install nodejs)")
    return node


def test_the_committed_bundle_is_exactly_what_the_sources_build(tmp_path):
    if not ESBUILD.exists():
        pytest.skip("esbuild missing: run npm ci --ignore-scripts")
    _node()
    # The same command `npm run build` runs, writing elsewhere.
    command = shlex.split(json.loads((ROOT / "package.json").read_text())["scripts"]["build"])
    assert command[0] == "esbuild"
    built = tmp_path / "builder.js"
    args = [a for a in command[1:] if not a.startswith("--outfile=")] + [f"--outfile={built}"]
    subprocess.run([ESBUILD, *args], cwd=ROOT, check=True, capture_output=True, timeout=120)
    assert built.read_bytes() == BUNDLE.read_bytes(), (
        "static/js/builder.js is not what frontend/src builds: run `npm run build` and commit it"
    )


def test_the_builders_own_tests_pass():
    node = _node()
    result = subprocess.run(
        [node, "--test", "frontend/tests/"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout
