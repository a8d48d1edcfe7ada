"""Exports of big surveys, built in the background: progress, the file stored once, an
email, the download (only the owner's, with its length and checksum), expiry, and files
deleted with their survey or account. Here tasks run in-process (no broker);
tests/stack/ runs them on real Celery workers."""

import base64
import csv
import hashlib
import io
import os
import time
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from dbtools.factories import add_submissions
from surveys import tasks
from surveys.errors import ExportExpired
from surveys.models import Export, Survey
from tests.helpers import api_client, close_response, database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_survey(active_survey, settings):
    """Alice's survey with 30 responses of 2 answers, over a threshold lowered to 20."""
    settings.EXPORT_INLINE_MAX_ANSWERS = 20
    add_submissions(active_survey, 30)
    return active_survey


def body_of(response):
    content = b"".join(response.streaming_content)
    close_response(response)
    return content


def start(client, survey, format="csv", **kwargs):
    return client.post(
        reverse("surveys:export_start", args=[survey.pk]), {"format": format}, **kwargs
    )


def test_a_small_survey_downloads_at_once(alice_client, active_survey):
    add_submissions(active_survey, 3)
    response = alice_client.get(reverse("surveys:export_csv", args=[active_survey.pk]))
    assert response.status_code == 200 and response.streaming
    assert len(body_of(response).decode("utf-8-sig").splitlines()) == 1 + 3
    assert not Export.objects.exists()


@pytest.mark.parametrize("name", ["surveys:export_csv", "surveys:export_xlsx"])
def test_a_big_survey_is_sent_to_the_exports_page(alice_client, big_survey, name):
    response = alice_client.get(reverse(name, args=[big_survey.pk]), follow=True)
    assert response.redirect_chain == [(reverse("surveys:exports", args=[big_survey.pk]), 302)]
    assert "prepared in the background" in str(next(iter(response.context["messages"])))
    assert not Export.objects.exists()  # a GET starts nothing


def test_the_file_is_built_stored_once_and_mailed(
    alice_client, big_survey, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(alice_client, big_survey)
    export = Export.objects.get()
    assert response.url == reverse("surveys:export_detail", args=[export.pk])
    assert export.status == Export.Status.DONE
    assert (export.rows_done, export.rows_total, export.attempts) == (30, 30, 1)
    assert export.file.name == f"exports/{big_survey.pk}/{export.pk}.csv"
    assert export.expires_at - export.finished_at == timedelta(hours=24)

    download = alice_client.get(reverse("surveys:export_download", args=[export.pk]))
    content = body_of(download)
    assert download["Content-Disposition"].startswith('attachment; filename="running-survey')
    assert int(download["Content-Length"]) == len(content) == export.size
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert download["Repr-Digest"] == f"sha-256=:{digest}:"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 30 and rows[0][:2] == ["submission", "submitted_at"]

    (message,) = mail.outbox
    assert message.to == [big_survey.owner.email]
    assert f"/surveys/exports/{export.pk}/" in message.body and "30 responses" in message.body
    page = alice_client.get(reverse("surveys:export_detail", args=[export.pk]))
    assert b"Ready: 30 responses" in page.content


def test_xlsx_in_the_background(alice_client, big_survey, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start(alice_client, big_survey, format="xlsx")
    export = Export.objects.get()
    content = body_of(alice_client.get(reverse("surveys:export_download", args=[export.pk])))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet.max_row == 1 + 30


def test_one_unfinished_export_per_survey(alice_client, big_survey):
    running = Export.objects.create(survey=big_survey, format="xlsx", rows_total=30)
    response = start(alice_client, big_survey, follow=True)
    assert response.redirect_chain[-1][0] == reverse("surveys:export_detail", args=[running.pk])
    assert "already under way" in str(next(iter(response.context["messages"])))
    assert Export.objects.count() == 1


def test_progress_is_shown_and_polled(alice_client, big_survey):
    export = Export.objects.create(
        survey=big_survey, format="csv", status="running", rows_total=30, rows_done=12
    )
    url = reverse("surveys:export_detail", args=[export.pk])
    page = alice_client.get(url)
    assert b'<progress id="export-progress" max="30" value="12">40%</progress>' in page.content
    polled = alice_client.get(url, HTTP_ACCEPT="application/json")
    assert polled.json() == {"status": "running", "rowsDone": 12, "rowsTotal": 30, "percent": 40}


@pytest.mark.parametrize(
    "name",
    [
        "surveys:exports",
        "surveys:export_start",
        "surveys:export_detail",
        "surveys:export_download",
    ],
)
def test_someone_else_gets_404_and_changes_nothing(bob_client, big_survey, name):
    export = Export.objects.create(survey=big_survey, format="csv", rows_total=30)
    pk = big_survey.pk if name in ("surveys:exports", "surveys:export_start") else export.pk
    before = database_state()
    for method in (bob_client.get, bob_client.post):
        assert method(reverse(name, args=[pk]), {"format": "csv"}).status_code == 404
    assert database_state() == before and Export.objects.count() == 1


def test_not_ready_is_not_downloadable(alice_client, big_survey):
    export = Export.objects.create(survey=big_survey, format="csv", rows_total=30)
    response = alice_client.get(reverse("surveys:export_download", args=[export.pk]))
    assert response.status_code == 404


def test_a_bad_format_is_a_400(alice_client, big_survey):
    assert start(alice_client, big_survey, format="pdf").status_code == 400
    assert not Export.objects.exists()


def done_export(survey, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = tasks.start_export(survey=survey, format="csv")
    export.refresh_from_db()
    assert export.file.storage.exists(export.file.name)
    return export


def test_a_task_delivered_twice_builds_one_file(big_survey, django_capture_on_commit_callbacks):
    export = done_export(big_survey, django_capture_on_commit_callbacks)
    tasks.build_export(export.pk)  # a redelivery finds it finished and does nothing
    export.refresh_from_db()
    assert export.attempts == 1
    _, files = export.file.storage.listdir(f"exports/{big_survey.pk}")
    assert files == [f"{export.pk}.csv"]


def test_stalled_exports_are_sent_again(big_survey, settings):
    export = Export.objects.create(
        survey=big_survey, format="csv", status="running", rows_total=30
    )
    Export.objects.filter(pk=export.pk).update(updated_at=timezone.now() - timedelta(minutes=6))
    tasks.sweep_exports()
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.attempts == 1


def test_expired_exports_go_with_their_files(big_survey, django_capture_on_commit_callbacks):
    export = done_export(big_survey, django_capture_on_commit_callbacks)
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_exports()
    assert not Export.objects.exists()
    assert not export.file.storage.exists(export.file.name)


def test_an_expired_export_is_refused_though_the_sweep_never_ran(
    alice, alice_client, big_survey, django_capture_on_commit_callbacks
):
    """Expiry is checked at the download, on the web and in the API: the file stays on
    disk until the sweep deletes it, but is never served after its time."""
    export = done_export(big_survey, django_capture_on_commit_callbacks)
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    page = alice_client.get(reverse("surveys:export_download", args=[export.pk]))
    assert page.status_code == 410 and not page.streaming
    assert "This export has expired" in page.text and "Export again" in page.text
    listing = alice_client.get(reverse("surveys:exports", args=[big_survey.pk])).text
    assert reverse("surveys:export_download", args=[export.pk]) not in listing
    assert "Expired" in listing

    api = api_client(alice)
    answer = api.get(f"/api/v1/exports/{export.pk}/download/")
    assert answer.status_code == 410 and not answer.streaming
    assert answer.json() == {"detail": ExportExpired.message}
    assert api.get(f"/api/v1/exports/{export.pk}/").json()["downloadUrl"] is None
    assert export.file.storage.exists(export.file.name)  # not served, though still there


def test_deleting_the_survey_deletes_its_files(
    alice_client, big_survey, django_capture_on_commit_callbacks
):
    export = done_export(big_survey, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("surveys:delete", args=[big_survey.pk]))
    assert not Survey.objects.exists() and not Export.objects.exists()
    assert not export.file.storage.exists(export.file.name)


def test_deleting_the_account_deletes_its_files(
    alice_client, alice, password, big_survey, django_capture_on_commit_callbacks
):
    export = done_export(big_survey, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("accounts:delete_account"), {"password": password})
    assert not export.file.storage.exists(export.file.name)


def test_a_task_over_its_time_is_marked_failed(big_survey, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tasks, "export_file", too_slow)
    export = Export.objects.create(survey=big_survey, format="csv", rows_total=30)
    tasks.build_export(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert export.error == "It took longer than a worker may."


def test_through_the_api(alice, bob, big_survey, django_capture_on_commit_callbacks):
    client = api_client(alice)
    url = f"/api/v1/surveys/{big_survey.pk}/exports/"
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(url, {"format": "xlsx"}, format="json")
    assert created.status_code == 202
    queued = created.json()
    assert (queued["status"], queued["format"], queued["downloadUrl"]) == ("queued", "xlsx", None)
    body = client.get(f"/api/v1/exports/{queued['id']}/").json()
    assert body["status"] == "done" and body["rowsDone"] == 30
    assert body["downloadUrl"] == f"http://testserver/api/v1/exports/{body['id']}/download/"
    assert client.get(url).json()["results"] == [body]
    download = client.get(body["downloadUrl"])
    assert int(download["Content-Length"]) == len(body_of(download)) == body["size"]
    assert client.post(url, {"format": "pdf"}, format="json").status_code == 400
    stranger = api_client(bob)
    assert stranger.get(f"/api/v1/exports/{body['id']}/").status_code == 404
    assert stranger.get(body["downloadUrl"]).status_code == 404


def test_the_sweep_deletes_what_a_killed_xlsx_build_left(settings):
    """openpyxl streams a sheet to a named temporary file it deletes at the save: a build
    SIGKILLed before then left it behind (2.5 MB each, a fault run found)."""
    from openpyxl.worksheet._writer import create_temporary_file  # what a build makes

    left, running = Path(create_temporary_file()), Path(create_temporary_file())
    try:
        long_ago = time.time() - settings.CELERY_TASK_TIME_LIMIT - 60
        os.utime(left, (long_ago, long_ago))
        tasks.sweep_exports()
        assert not left.exists()
        assert running.exists()  # a build that may still be running keeps its sheet
    finally:
        left.unlink(missing_ok=True)
        running.unlink(missing_ok=True)
