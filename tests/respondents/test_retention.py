"""What is kept of respondents, and for how long: the purge after a survey's retention,
the privacy notice takers read, the account default, and the operator's commands."""

import io
import json
import logging
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from dbtools.factories import build_survey
from surveys import responses, services, tallies
from surveys.models import Answer, Event, Export, Submission, Survey
from tests.helpers import answer_data, answer_url

from .conftest import receipt_link


def answered(client, survey, times=1):
    for _ in range(times):
        client.cookies.clear()
        client.post(answer_url(survey), answer_data(client, survey))


def closed_days_ago(survey, days, retention):
    Survey.objects.filter(pk=survey.pk).update(
        status=Survey.Status.CLOSED,
        closed_at=timezone.now() - timedelta(days=days),
        retention_days=retention,
    )
    survey.refresh_from_db()


def finished_export(survey):
    export = Export.objects.create(survey=survey, format="csv", status="done")
    export.file.save(f"export-{export.pk}.csv", ContentFile(b"id\n1\n"))
    return export


@pytest.fixture
def surveys(alice, client):
    """Four of Alice's surveys with two responses and an export each: expired, kept a
    while longer, kept for good, and running (retention counts from closing)."""
    made = {}
    for name in ("expired", "not yet", "kept", "running"):
        survey = build_survey(owner=alice, status=Survey.Status.ACTIVE, title=name)
        answered(client, survey, times=2)
        made[name] = survey
    closed_days_ago(made["expired"], days=31, retention=30)
    closed_days_ago(made["not yet"], days=29, retention=30)
    closed_days_ago(made["kept"], days=400, retention=None)
    Survey.objects.filter(pk=made["running"].pk).update(retention_days=0)
    made["files"] = {name: finished_export(survey) for name, survey in list(made.items())}
    return made


def test_the_purge_removes_exactly_the_expired_responses_and_their_files(
    surveys, caplog, django_capture_on_commit_callbacks
):
    expired = surveys["expired"]
    exported = surveys["files"]["expired"]
    storage, name = exported.file.storage, exported.file.name
    assert storage.exists(name)
    with (
        caplog.at_level(logging.INFO, logger="canvass.surveys"),
        django_capture_on_commit_callbacks(execute=True),  # files go once it commits
    ):
        purged = responses.purge_expired_responses()
    assert [(s.pk, responses, exports) for s, responses, exports in purged] == [(expired.pk, 2, 1)]
    assert not Submission.objects.filter(survey=expired).exists()
    assert not Answer.objects.filter(submission__survey=expired).exists()
    assert not Export.objects.filter(survey=expired).exists() and not storage.exists(name)
    assert tallies.submission_count(expired) == 0 and tallies.recount([expired]) == []
    for other in ("not yet", "kept", "running"):
        assert Submission.objects.filter(survey=surveys[other]).count() == 2
        assert surveys["files"][other].file.storage.exists(surveys["files"][other].file.name)
    assert f"responses purged survey={expired.pk} responses=2 exports=1" in caplog.text
    assert Survey.objects.filter(pk=expired.pk).exists()  # the survey itself stays
    assert responses.purge_expired_responses() == []  # nothing left to do


def test_a_dry_run_says_what_would_go_and_deletes_nothing(surveys):
    out = io.StringIO()
    call_command("purge_responses", "--dry-run", stdout=out)
    assert "Would delete 2 responses and 1 exports of survey" in out.getvalue()
    assert Submission.objects.count() == 8
    call_command("purge_responses", stdout=out)
    assert Submission.objects.count() == 6


def test_the_purge_takes_the_events_that_carried_the_answers(client, alice):
    survey = build_survey(owner=alice, status=Survey.Status.ACTIVE)
    Survey.objects.filter(pk=survey.pk).update(sends_events=True)
    survey.refresh_from_db()
    answered(client, survey)
    assert Event.objects.filter(survey=survey, type="response.submitted").count() == 1
    services.close_survey(survey=survey)
    closed_days_ago(survey, days=2, retention=1)
    responses.purge_expired_responses()
    assert list(Event.objects.filter(survey=survey).values_list("type", flat=True)) == [
        "survey.closed"
    ]


def test_the_settings_page_says_when_the_purge_happens(alice_client, surveys):
    page = alice_client.get(reverse("surveys:settings", args=[surveys["not yet"].pk]))
    when = surveys["not yet"].closed_at + timedelta(days=30)
    assert "will be deleted on" in page.text and when.strftime("%-d %b %Y") in page.text
    running = alice_client.get(reverse("surveys:settings", args=[surveys["running"].pk]))
    assert "deleted 0 days after the survey closes" in running.text


def test_the_privacy_notice_shows_the_real_retention_and_who_runs_it(client, active_survey):
    notice = reverse("public:privacy", args=[active_survey.public_token])
    for page in (
        client.get(reverse("public:start", args=[active_survey.public_token])),
        client.get(answer_url(active_survey)),
        receipt_link(client, active_survey)[0],
    ):
        assert notice in page.text
    assert "Until the people running the survey delete it" in client.get(notice).text
    services.update_survey(
        survey=active_survey, retention_days=90, contact="Parents' Association, pa@example.org"
    )
    text = client.get(notice).text
    assert "deleted 90 days after the survey closes" in text
    assert "Parents&#x27; Association, pa@example.org" in text
    services.close_survey(survey=active_survey)
    active_survey.refresh_from_db()
    purge = (active_survey.closed_at + timedelta(days=90)).strftime("%-d %B %Y")
    assert f"Until {purge}" in client.get(notice).text


def test_the_privacy_notice_of_a_draft_is_as_unknown_as_the_draft(client, draft_survey):
    assert (
        client.get(reverse("public:privacy", args=[draft_survey.public_token])).status_code == 404
    )


def test_new_surveys_take_the_account_default_and_copies_keep_theirs(alice_client, alice):
    response = alice_client.post(reverse("accounts:retention"), {"retention_days": "60"})
    assert response.status_code == 302
    survey = services.create_survey(owner=alice, title="With default")
    assert survey.retention_days == 60
    services.update_survey(survey=survey, retention_days=7, respondents_can_edit=False)
    copy = services.duplicate_survey(survey=survey, owner=alice)
    assert (copy.retention_days, copy.respondents_can_edit) == (7, False)
    assert (
        alice_client.post(reverse("accounts:retention"), {"retention_days": "-1"}).status_code
        == 400
    )
    alice_client.post(reverse("accounts:retention"), {"retention_days": ""})
    assert services.create_survey(owner=alice, title="Kept").retention_days is None


def test_the_creator_sets_what_respondents_may_do(alice_client, active_survey):
    url = reverse("surveys:respondents", args=[active_survey.pk])
    response = alice_client.post(
        url, {"retention_days": "5000", "contact": "x", "respondents_can_edit": "on"}
    )
    assert response.status_code == 302
    active_survey.refresh_from_db()
    assert active_survey.retention_days is None  # refused: more than ten years
    alice_client.post(url, {"retention_days": "30", "record_day_only": "on", "contact": "Us"})
    active_survey.refresh_from_db()
    assert (
        active_survey.retention_days,
        active_survey.record_day_only,
        active_survey.respondents_can_edit,
        active_survey.contact,
    ) == (30, True, False, "Us")


def test_another_creator_cannot_change_these_settings(bob_client, active_survey):
    url = reverse("surveys:respondents", args=[active_survey.pk])
    assert bob_client.post(url, {"retention_days": "1"}).status_code == 404
    active_survey.refresh_from_db()
    assert active_survey.retention_days is None


def test_operators_find_export_and_delete_a_response_by_its_code(client, active_survey):
    receipt_link(client, active_survey)
    submission = Submission.objects.get()
    out = io.StringIO()
    call_command("find_response", submission.receipt_code.lower(), stdout=out)
    held = json.loads(out.getvalue())
    assert held["receiptCode"] == submission.receipt_code
    assert held["survey"]["id"] == active_survey.pk
    assert [a["question"] for a in held["answers"]] == list(
        active_survey.questions.values_list("prompt", flat=True)
    )
    call_command("delete_response", submission.receipt_code, "--dry-run", stdout=out)
    assert Submission.objects.exists()
    call_command("delete_response", submission.receipt_code, stdout=out)
    assert not Submission.objects.exists() and tallies.recount([active_survey]) == []
    with pytest.raises(CommandError, match="No response has the receipt code"):
        call_command("find_response", submission.receipt_code)


def test_deleting_an_account_removes_its_exports_files(
    alice, client, password, django_capture_on_commit_callbacks
):
    survey = build_survey(owner=alice, status=Survey.Status.ACTIVE)
    answered(client, survey)
    export = finished_export(survey)
    storage, name = export.file.storage, export.file.name
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:delete_account"), {"password": password})
    assert not Submission.objects.exists() and not storage.exists(name)
