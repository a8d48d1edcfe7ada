"""Restore a backup into the configured database, checking it before anything is touched."""

import hashlib
import logging
import os
import sqlite3
import subprocess
import tempfile
import time

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from .backup import BackupError, postgres_env, postgres_program

logger = logging.getLogger("canvass.backups")


def _sha256_of(fileobj):
    fileobj.seek(0)
    digest = hashlib.sha256()
    while chunk := fileobj.read(1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()


def fetch_verified(storage, key, fileobj):
    """Download `key` into `fileobj` and compare it with its stored checksum."""
    expected = storage.get(f"{key}.sha256").decode().split()[0]
    storage.download(key, fileobj)
    fileobj.flush()
    actual = _sha256_of(fileobj)
    if actual != expected:
        raise BackupError(
            f"Checksum mismatch for {key}: stored {expected}, downloaded {actual}. "
            "The backup is damaged; nothing was restored."
        )


def _restore_postgres(path):
    program = postgres_program("pg_restore")
    env = {**os.environ, **postgres_env()}
    listing = subprocess.run([program, "--list", path], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(
            f"{program} can't read this dump (is the client older than the dump?): "
            f"{listing.stderr.strip()}"
        )
    connection.close()
    result = subprocess.run(
        [
            program,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={settings.DATABASES['default']['NAME']}",
            path,
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing changed: {result.stderr.strip()}")


def _restore_sqlite(path):
    connection.close()
    source = sqlite3.connect(path)
    target = sqlite3.connect(settings.DATABASES["default"]["NAME"])
    with target:
        source.backup(target)
    source.close()
    target.close()


def restore_backup(storage, key):
    started = time.monotonic()
    kind = key.split("_", 1)[0]
    if kind != {"postgresql": "postgres", "sqlite": "sqlite"}.get(connection.vendor):
        raise BackupError(f"{key} is a {kind} backup; this site uses {connection.vendor}.")
    with tempfile.NamedTemporaryFile(suffix=".restore") as download:
        fetch_verified(storage, key, download)
        if kind == "postgres":
            _restore_postgres(download.name)
        else:
            _restore_sqlite(download.name)
    call_command("migrate", interactive=False, verbosity=0)
    logger.info("backup restored key=%s duration=%.1fs", key, time.monotonic() - started)
