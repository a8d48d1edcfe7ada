"""Production configuration: Django's deployment checklist and the NGINX config agree."""

import io
import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


PRODUCTION_ENV = {
    "DEBUG": "false",
    "HTTPS": "true",
    "SECRET_KEY": "k8#Jw2!pQz$7vR@eL4^tY9&uX1*mN6(oB3)cV5_sD0+fG8-hA2=iK7~jU4",
    "ALLOWED_HOSTS": "surveys.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://surveys.example.com",
    "DATABASE_URL": "postgres://canvass:secret@127.0.0.1:5432/canvass",
}


def test_check_deploy_passes_with_production_settings():
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests for this test process only.
    unset = {"DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**env, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_nginx_body_limit_comes_from_the_upload_setting(settings):
    conf = (ROOT / "deploy" / "nginx" / "canvass.conf").read_text()
    assert "client_max_body_size ${CLIENT_MAX_BODY_SIZE};" in conf
    assert "${CLIENT_MAX_BODY_SIZE}" in (ROOT / "docs" / "operations.md").read_text()
    out = io.StringIO()
    call_command("body_limit", stdout=out)
    limit = int(out.getvalue())
    # Room for every file a survey can take at the largest size, and its form fields, so
    # a file over its question's limit reaches Django, which says so beside the question.
    most = settings.FILE_QUESTIONS_PER_SURVEY * settings.UPLOAD_MAX_MB * 1024 * 1024
    assert limit == settings.REQUEST_MAX_BYTES >= most + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_tests_run_on_the_database_the_environment_names():
    from django.db import connection

    url = os.environ.get("DATABASE_URL", "sqlite")
    assert connection.vendor == ("postgresql" if url.startswith("postgres") else "sqlite")
