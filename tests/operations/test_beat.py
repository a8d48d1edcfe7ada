"""Without a broker (`make run`), the periodic jobs of CELERY_BEAT_SCHEDULE run in a thread of
runserver's process (config/beat.py), as beat and a worker run them on the stack."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery.signals import task_prerun
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone

from config import beat
from config.celery import HEARTBEAT_KEY
from dbtools.factories import UserFactory, add_submissions, build_survey
from scripts.stack import free_port, wait_for_port
from surveys.models import Export, Submission, Survey
from tests.helpers import manage_py

ROOT = Path(__file__).resolve().parents[2]


def expired_export(survey):
    export = Export(survey=survey, format="csv", status=Export.Status.DONE)
    export.file.save(f"exports/{survey.pk}/expired.csv", ContentFile(b"a,b\n"), save=False)
    export.expires_at = timezone.now() - timedelta(minutes=1)
    export.save()
    return export


def collect(signal):
    seen = []

    def receiver(sender=None, **kwargs):
        seen.append(sender.name)

    signal.connect(receiver, weak=False)
    return seen, lambda: signal.disconnect(receiver)


# Real transactions: each tick closes its thread's database connection, as the thread does.
@pytest.mark.django_db(transaction=True)
def test_a_tick_runs_every_job_of_the_schedule_once_each_is_due(settings, caplog):
    owner = UserFactory()
    export = expired_export(build_survey(owner=owner, status=Survey.Status.ACTIVE))
    past_retention = build_survey(owner=owner, status=Survey.Status.CLOSED, retention_days=1)
    Survey.objects.filter(pk=past_retention.pk).update(
        closed_at=timezone.now() - timedelta(days=2)
    )
    add_submissions(past_retention, 2)
    jobs = beat.scheduler()
    assert set(jobs.schedule) == set(settings.CELERY_BEAT_SCHEDULE)  # the one schedule
    for entry in jobs.schedule.values():  # as if beat had been stopped for a week
        entry.last_run_at = timezone.now() - timedelta(days=7)

    ran, stop_collecting = collect(task_prerun)
    try:
        waits = [beat.tick(jobs) for _ in settings.CELERY_BEAT_SCHEDULE]
        assert beat.tick(jobs) > 0  # every job has run: none is due again yet
    finally:
        stop_collecting()

    expected = sorted(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())
    assert sorted(ran) == expected and waits == [0] * len(expected)
    assert "Couldn't apply scheduled task" not in caplog.text  # none failed
    assert cache.get(HEARTBEAT_KEY) == pytest.approx(time.time(), abs=30)
    assert not Export.objects.exists()
    assert not export.file.storage.exists(export.file.name)
    assert not Submission.objects.filter(survey=past_retention).exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_logged_and_the_others_still_run(settings, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("surveys.responses.purge_expired_responses", broken)
    jobs = beat.scheduler()
    for entry in jobs.schedule.values():
        entry.last_run_at = timezone.now() - timedelta(days=7)
    ran, stop_collecting = collect(task_prerun)
    try:
        waits = [beat.tick(jobs) for _ in settings.CELERY_BEAT_SCHEDULE]
    finally:
        stop_collecting()
    assert waits == [0] * len(waits) and len(ran) == len(settings.CELERY_BEAT_SCHEDULE)
    assert "purge-expired-responses: the disk is full" in caplog.text  # Celery's beat logs it


def test_the_thread_starts_only_in_runserver_without_a_broker(settings, monkeypatch):
    started = []
    monkeypatch.setattr(beat.threading.Thread, "start", lambda thread: started.append(thread))
    beat.start_in_dev_server()  # not under runserver's autoreloader: the tests, Gunicorn
    monkeypatch.setenv("RUN_MAIN", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker: the real beat sends the jobs
    beat.start_in_dev_server()
    assert started == []
    settings.CELERY_TASK_ALWAYS_EAGER = True
    beat.start_in_dev_server()
    assert [thread.name for thread in started] == ["canvass-beat"]


MAKE_EXPORTS = """
from datetime import timedelta
from django.core.files.base import ContentFile
from django.utils import timezone
from dbtools.factories import UserFactory, build_survey
from surveys.models import Export
survey = build_survey(owner=UserFactory())
for name, hours in (("expired", -1), ("current", 1)):
    export = Export(survey=survey, format="csv", status="done")
    export.file.save(f"exports/{name}.csv", ContentFile(b"a,b\\n"), save=False)
    export.expires_at = timezone.now() + timedelta(hours=hours)
    export.save()
"""


def test_runserver_deletes_an_expired_export_by_itself(tmp_path):
    """`make run`'s shape for real: runserver with its autoreloader, DEBUG, SQLite, no
    broker; with the sweep every second, the expired export and its file go, the current
    one stays."""
    keep = {"PATH", "HOME", "LANG", "TMPDIR", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PRIVATE_STORAGE": str(tmp_path / "private"),
        "EXPORT_SWEEP_SECONDS": "1",
    }
    manage_py(env, "migrate", "--noinput", "-v0", timeout=120)
    manage_py(env, "shell", "-c", MAKE_EXPORTS, timeout=120)
    files = tmp_path / "private" / "exports"
    assert sorted(path.name for path in files.iterdir()) == ["current.csv", "expired.csv"]

    def exports():
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            return [row[0] for row in db.execute("SELECT file FROM surveys_export ORDER BY id")]

    port = free_port()
    log = (tmp_path / "runserver.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the autoreloader's child too, to stop both
    )
    try:
        wait_for_port(port, server)
        deadline = time.monotonic() + 15
        while len(exports()) == 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        output = (tmp_path / "runserver.log").read_text()
        assert exports() == ["exports/current.csv"], output
        assert sorted(path.name for path in files.iterdir()) == ["current.csv"]
        assert "periodic jobs run in this process" in output and "Traceback" not in output
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        log.close()
