"""Grade A+ from the MDN HTTP Observatory's own checks, run offline against the stack."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNER = ROOT / "node_modules" / "@mdn" / "mdn-http-observatory"


@pytest.fixture(scope="module")
def scan(stack):
    if not shutil.which("node") or not SCANNER.exists():
        pytest.skip("node or the Observatory scanner (npm ci --ignore-scripts) is missing")

    def run(path):
        result = subprocess.run(
            [
                "node",
                "tests/stack/observatory.mjs",
                "localhost",
                str(stack.http_port),
                str(stack.https_port),
                path,
            ],
            cwd=ROOT,
            env={**os.environ, "NODE_EXTRA_CA_CERTS": str(stack.root / "nginx" / "tls.crt")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout)

    return run


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_grade_a_plus(scan, path):
    report = scan(path)
    failing = {name: test["result"] for name, test in report["tests"].items() if not test["pass"]}
    assert failing == {}
    assert report["grade"] == "A+", report
    assert report["tests"]["content-security-policy"]["result"].startswith(
        "csp-implemented-with-no-unsafe"
    )


def test_login_page_cookies_are_secure(scan):
    result = scan("/accounts/login/")["tests"]["cookies"]["result"]
    assert result in {
        "cookies-secure-with-httponly-sessions-and-samesite",
        "cookies-secure-with-httponly-sessions",
    }
