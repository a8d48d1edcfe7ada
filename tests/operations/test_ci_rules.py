"""Under CI=true a skipped test fails the run, whether it skips while running or while its
module is imported: a missing service must never pass silently."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_pytest(tmp_path, source, ci):
    (tmp_path / "test_probe.py").write_text(source)
    (tmp_path / "test_other.py").write_text("def test_fine():\n    pass\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.ci_plugin", "-p", "no:cacheprovider",
         "-p", "no:django", "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
         "-q", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "CI": ci},
        capture_output=True,
        text=True,
    )  # fmt: skip


SKIPS = {
    "while running": "import pytest\n\ndef test_x():\n    pytest.skip('no service')\n",
    "while importing": "import pytest\n\npytest.importorskip('no_such_module_here')\n\n"
    "def test_x():\n    pass\n",
}


@pytest.mark.parametrize("when", SKIPS)
def test_a_skip_fails_under_ci(tmp_path, when):
    result = run_pytest(tmp_path, SKIPS[when], ci="true")
    assert result.returncode != 0, result.stdout
    assert "skipped under CI=true" in result.stdout


@pytest.mark.parametrize("when", SKIPS)
def test_a_skip_is_a_skip_elsewhere(tmp_path, when):
    result = run_pytest(tmp_path, SKIPS[when], ci="false")
    assert result.returncode == 0, result.stdout
    assert "skipped" in result.stdout
