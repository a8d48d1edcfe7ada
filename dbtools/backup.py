"""Backups of the configured database to the configured storage.

A backup is three objects: the dump, `<dump>.sha256` and `<dump>.json` (the manifest). The
manifest is written last, so only a dump with a manifest counts: a failed or interrupted
run never becomes the "latest" backup.
"""

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

logger = logging.getLogger("canvass.backups")

KEY_PATTERN = re.compile(
    r"^(?P<kind>postgres|sqlite)_(?P<db>[\w.-]+)_(?P<stamp>\d{8}T\d{6}Z)\.(?:pgdump|sqlite3)$"
)
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


class BackupError(Exception):
    pass


@dataclass(frozen=True, order=True)
class Backup:
    created_at: datetime
    key: str


def canvass_version():
    pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
    return tomllib.loads(pyproject.read_text())["project"]["version"]


def postgres_program(name):
    """pg_dump / pg_restore: from PATH (Debian's version-picking wrapper) or the newest install."""
    found = shutil.which(name) or next(
        iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client (postgresql-client).")
    return str(found)


def postgres_env():
    """libpq environment for the configured database, so no password is on a command line."""
    db = settings.DATABASES["default"]
    env = {"PGDATABASE": db["NAME"], "PGUSER": db.get("USER") or "", "PGAPPNAME": "canvass-backup"}
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGPASSWORD", "PASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def list_backups(storage):
    """Complete backups (dump, checksum and manifest all present), oldest first."""
    keys = set(storage.list_keys())
    found = []
    for key in keys:
        match = KEY_PATTERN.match(key)
        if match and f"{key}.sha256" in keys and f"{key}.json" in keys:
            stamp = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
            found.append(Backup(stamp, key))
    return sorted(found)


def latest_backup(storage):
    backups = list_backups(storage)
    if not backups:
        raise BackupError(f"No complete backup in {storage}.")
    return backups[-1]


def to_prune(backups, *, daily, weekly):
    """Keep the newest backup of each of the last `daily` days and `weekly` ISO weeks."""
    keep, days, weeks = set(), set(), set()
    for backup in sorted(backups, reverse=True):
        day = backup.created_at.date()
        week = day.isocalendar()[:2]
        if day not in days and len(days) < daily:
            days.add(day)
            keep.add(backup)
        if week not in weeks and len(weeks) < weekly:
            weeks.add(week)
            keep.add(backup)
    return sorted(set(backups) - keep)


class _HashingReader:
    """Wraps a stream: counts and hashes the bytes as the uploader reads them."""

    def __init__(self, stream):
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self.stream.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _manifest(kind, size, sha256, tool_version):
    last = MigrationRecorder.Migration.objects.order_by("-applied", "-id").first()
    return {
        "kind": kind,
        "database": str(settings.DATABASES["default"]["NAME"]),
        "created_at": datetime.now(UTC).isoformat(),
        "size": size,
        "sha256": sha256,
        "dump_tool": tool_version,
        "last_migration": f"{last.app}.{last.name}" if last else None,
        "canvass_version": canvass_version(),
    }


def _dump_postgres(storage, key):
    program = postgres_program("pg_dump")
    version = subprocess.run([program, "--version"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryFile() as errors:
        dump = subprocess.Popen(
            [program, "--format=custom", "--no-password"],
            stdout=subprocess.PIPE,
            stderr=errors,
            env={**os.environ, **postgres_env()},
        )
        reader = _HashingReader(dump.stdout)
        try:
            storage.upload(key, reader)
        except BaseException:
            dump.kill()
            dump.wait()
            raise
        finally:
            dump.stdout.close()
        if dump.wait() != 0:
            errors.seek(0)
            storage.delete(key)
            raise BackupError(f"pg_dump failed: {errors.read().decode(errors='replace').strip()}")
    return reader, version


def _dump_sqlite(storage, key):
    with tempfile.NamedTemporaryFile(suffix=".sqlite3") as copy:
        # The backup API copies a consistent snapshot while the site keeps writing.
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        target = sqlite3.connect(copy.name)
        with target:
            source.backup(target)
        source.close()
        target.close()
        with open(copy.name, "rb") as stream:
            reader = _HashingReader(stream)
            storage.upload(key, reader)
    return reader, f"sqlite {sqlite3.sqlite_version}"


def create_backup(storage):
    """Dump the database to `storage`; returns (key, manifest). Raises on any failure."""
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime(STAMP_FORMAT)
    name = Path(str(settings.DATABASES["default"]["NAME"])).stem
    if connection.vendor == "postgresql":
        key = f"postgres_{name}_{stamp}.pgdump"
        reader, tool = _dump_postgres(storage, key)
    elif connection.vendor == "sqlite":
        key = f"sqlite_{name}_{stamp}.sqlite3"
        reader, tool = _dump_sqlite(storage, key)
    else:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
    digest = reader.sha256.hexdigest()
    manifest = _manifest(connection.vendor, reader.size, digest, tool)
    storage.put(f"{key}.sha256", f"{digest}  {key}\n".encode())
    storage.put(f"{key}.json", json.dumps(manifest, indent=2).encode())
    logger.info(
        "backup stored key=%s size=%d duration=%.1fs destination=%s",
        key,
        reader.size,
        time.monotonic() - started,
        storage,
    )
    return key, manifest


def prune(storage, *, daily, weekly):
    removed = to_prune(list_backups(storage), daily=daily, weekly=weekly)
    for backup in removed:
        # The manifest goes first: a half-deleted backup is no longer "complete".
        for suffix in (".json", ".sha256", ""):
            storage.delete(backup.key + suffix)
        logger.info("backup pruned key=%s", backup.key)
    return removed
