"""Backup retention and the local-only guard; tests/tools/ runs the commands for real."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dbtools.backup import STAMP_FORMAT, Backup, list_backups, prune, to_prune
from dbtools.storage import LocalStorage


def backups_every(hours, count, start=datetime(2026, 11, 28, 3, 0, tzinfo=UTC)):
    return [
        Backup(
            start - timedelta(hours=hours * n),
            f"postgres_db_{start - timedelta(hours=hours * n):{STAMP_FORMAT}}.pgdump",
        )
        for n in range(count)
    ]


def test_keeps_newest_per_day_and_per_week():
    backups = backups_every(12, 80)  # two a day for 40 days
    kept = sorted(set(backups) - set(to_prune(backups, daily=7, weekly=4)))
    days = {b.created_at.date() for b in kept}
    assert len([b for b in kept if b.created_at.date() >= datetime(2026, 11, 22).date()]) == 7
    assert all(b.created_at.hour == 15 or b.created_at == max(backups).created_at for b in kept)
    weeks = {b.created_at.isocalendar()[:2] for b in kept}
    assert len(weeks) == 4 and len(days) == len(kept) <= 7 + 4
    assert max(backups) in kept


def test_nothing_pruned_when_there_are_few():
    backups = backups_every(24, 3)
    assert to_prune(backups, daily=7, weekly=4) == []


def test_prune_removes_all_three_objects_and_ignores_incomplete(tmp_path):
    storage = LocalStorage(tmp_path)
    for backup in backups_every(24, 10):
        for suffix in ("", ".sha256", ".json"):
            storage.put(backup.key + suffix, b"x")
    storage.put("postgres_db_20261129T000000Z.pgdump", b"no manifest: not complete")
    removed = prune(storage, daily=3, weekly=0)
    assert len(removed) == 7
    assert len(list_backups(storage)) == 3
    assert "postgres_db_20261129T000000Z.pgdump" in storage.list_keys()
    assert not [k for k in storage.list_keys() if any(k.startswith(r.key) for r in removed)]


def test_reset_refuses_a_remote_database():
    result = subprocess.run(
        [sys.executable, "manage.py", "reset_db", "--yes"],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": "postgres://u:p@db.example.com:5432/prod",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "host 'db.example.com' is not this machine" in result.stderr


@pytest.mark.django_db
def test_reset_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("reset_db", yes=True)


@pytest.mark.django_db
def test_backup_without_destination_says_what_to_set(settings):
    settings.BACKUP_DESTINATION = ""
    with pytest.raises(CommandError, match="BACKUP_DESTINATION is not set"):
        call_command("backup_db")
