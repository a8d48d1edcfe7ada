"""Start-up refuses unsafe or unparseable configuration with a message naming the variable."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(**env):
    """Load the settings in a fresh interpreter with only `env` set for DEBUG/SECRET_KEY."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )


def test_debug_typo_stops_startup():
    result = start(DEBUG="ture")
    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr


def test_production_refuses_development_secret_key():
    result = start(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is the development key but DEBUG is off" in result.stderr


def test_debug_is_off_unless_asked():
    result = start(SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("value", ["true", "1", "yes", "ON"])
def test_development_starts_with_debug(value):
    result = start(DEBUG=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_bad_integer_is_refused():
    result = start(DEBUG="true", DATA_UPLOAD_MAX_MEMORY_SIZE="1MB")
    assert result.returncode != 0
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE='1MB' is not a whole number" in result.stderr


def test_env_example_lists_every_variable_read():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    gunicorn_source = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    read = set(
        re.findall(
            r'env(?:_bool|_int|\.str|\.list|\.float|\.db_url|\.cache_url|\.email_url)\(\s*"([A-Z_]+)"',
            settings_source,
        )
    )
    read |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', gunicorn_source))
    assert len(read) > 15, "the patterns no longer find the variables"
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.M))
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"


def test_promised_numbers():
    """The limits README and docs/security.md promise, written out: changing a default must
    fail here (the behaviour tests check what each number does)."""
    from django.conf import settings

    from accounts import emails, views
    from integrations.services import UNSUBSCRIBE_MAX_AGE

    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME == 1  # hour
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    assert settings.PASSWORD_RESET_TIMEOUT == 2 * 3600
    assert timedelta(days=3) == emails.VERIFY_MAX_AGE
    assert views.RESET_LIMIT_PER_HOUR == 5
    assert views.SIGNUP_ATTEMPTS_PER_HOUR == 20
    assert settings.SUBMISSIONS_PER_MINUTE == 120
    assert settings.RECEIPT_WRITES_PER_HOUR == 20
    assert settings.RECEIPT_WRITES_PER_HOUR_PER_CLIENT == 120
    assert settings.MAIL_PER_RECIPIENT_PER_HOUR == 3
    assert settings.MAIL_PER_SURVEY_PER_HOUR == 200
    assert settings.MAIL_PER_CLIENT_PER_HOUR == 30
    assert settings.MAIL_PER_HOUR == 1000
    assert timedelta(days=90) == UNSUBSCRIBE_MAX_AGE
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "anon": "300/minute",
        "user": "1200/minute",
    }
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024
