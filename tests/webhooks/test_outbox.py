"""The outbox: an event row is written in the transaction of the change it tells of, so an
acknowledged submission always has its event and one that failed or rolled back never has;
and it is handed to the workers only once committed."""

import uuid
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from djangorestframework_camel_case.util import camelize

from integrations import services as integrations
from surveys import events, responses, services
from surveys.answers import clean_answers
from surveys.models import Event, Submission, Survey
from tests.helpers import answer_data, answer_url

from .conftest import listen


def submit(survey, **overrides):
    questions = survey.questions.prefetch_related("options")
    answers = {q.pk: q.options.all()[0].pk for q in questions}
    return responses.submit_response(
        survey=survey, token=uuid.uuid4().hex, answers=clean_answers(survey, answers)
    )


def test_a_submission_writes_its_event_shaped_as_the_api_shows_the_response(
    mixed_survey, receiver, alice_api
):
    from dbtools.factories import answer_for

    listen(mixed_survey, receiver)
    questions = list(mixed_survey.questions.prefetch_related("options"))
    responses.submit_response(
        survey=mixed_survey,
        token="t1",
        answers=clean_answers(
            mixed_survey, {question.pk: answer_for(question, 3) for question in questions}
        ),
    )
    event = Event.objects.get()
    assert event.type == "response.submitted" and event.survey == mixed_survey
    # Asked on the site's own address, which the event's file links use (SITE_URL).
    site = urlsplit(settings.SITE_URL)
    listed = alice_api.get(
        f"/api/v1/surveys/{mixed_survey.pk}/responses/",
        SERVER_NAME=site.hostname,
        SERVER_PORT=str(site.port or 80),
    ).json()["results"]
    assert camelize(event.payload["data"]) == listed[0]
    assert event.payload["survey"] == {
        "id": mixed_survey.pk,
        "title": mixed_survey.title,
        "status": "active",
        "version": 1,
    }
    assert event.payload["version"] == Event.PAYLOAD_VERSION
    assert event.event_id.startswith("msg_")


def test_the_answer_form_writes_one_event_and_a_replayed_post_none(
    client, endpoint, active_survey
):
    data = answer_data(client, active_survey)
    first = client.post(answer_url(active_survey), data)
    again = client.post(answer_url(active_survey), data)
    assert first.status_code == again.status_code == 302
    assert Submission.objects.count() == 1
    assert Event.objects.filter(type="response.submitted").count() == 1


def test_a_submission_that_rolls_back_leaves_no_event(endpoint, active_survey, monkeypatch):
    """The failure comes after the event row is written, inside the same transaction."""
    record = events.record

    def record_then_fail(*args, **kwargs):
        record(*args, **kwargs)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(events, "record", record_then_fail)
    with pytest.raises(RuntimeError):
        submit(active_survey)
    assert Submission.objects.count() == 0
    assert Event.objects.count() == 0


def test_refused_submissions_leave_no_event(endpoint, active_survey, closed_survey, receiver):
    from django.core.exceptions import ValidationError

    from surveys.errors import SurveyClosed

    with pytest.raises(ValidationError):
        responses.submit_response(
            survey=active_survey, token="x", answers=clean_answers(active_survey, {})
        )
    listen(closed_survey, receiver)
    with pytest.raises(SurveyClosed):
        submit(closed_survey)
    assert Event.objects.count() == 0


def test_listeners_hear_only_after_the_commit(
    endpoint, active_survey, django_capture_on_commit_callbacks, monkeypatch
):
    heard = []
    monkeypatch.setattr("integrations.wakeup.send_soon", lambda: heard.append(True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit(active_survey)
    assert heard == [] and len(callbacks) == 1
    callbacks[0]()
    assert heard == [True]


def test_a_survey_nobody_listens_to_writes_no_events(active_survey):
    submit(active_survey)
    services.close_survey(survey=active_survey)
    assert not active_survey.sends_events and Event.objects.count() == 0


def test_a_paused_endpoint_keeps_its_events_for_when_it_resumes(endpoint, active_survey):
    integrations.update_endpoint(endpoint=endpoint, active=False)
    active_survey.refresh_from_db()
    submit(active_survey)
    assert Event.objects.count() == 1
    integrations.delete_endpoint(endpoint=endpoint)
    active_survey.refresh_from_db()
    assert not active_survey.sends_events
    submit(active_survey)
    assert Event.objects.count() == 1


def test_closing_reopening_and_a_new_version_are_events(endpoint, active_survey):
    services.close_survey(survey=active_survey)
    services.reopen_survey(survey=active_survey)
    draft = services.new_version(survey=active_survey)
    services.start_survey(survey=draft)
    assert list(Event.objects.filter(survey=active_survey).values_list("type", flat=True)) == [
        "survey.closed",
        "survey.reopened",
        "survey.version_started",
    ]
    started = Event.objects.get(survey=draft)
    assert started.type == "survey.version_started"
    assert started.payload["data"] == {
        "previous_version": active_survey.pk,
        "new_version": draft.pk,
    }


def test_reaching_the_response_limit_closes_the_survey_with_an_event(endpoint, active_survey):
    Survey.objects.filter(pk=active_survey.pk).update(max_responses=1)
    active_survey.refresh_from_db()
    submit(active_survey)
    from surveys.errors import SurveyClosed

    with pytest.raises(SurveyClosed):
        submit(active_survey)
    closed = Event.objects.get(type="survey.closed")
    assert closed.payload["data"] == {"reason": "response limit reached"}


def test_a_new_version_keeps_the_webhooks_with_their_secrets(endpoint, active_survey):
    integrations.set_notifications(
        survey=active_survey, each_response=True, daily_digest=False, include_answers=True
    )
    draft = services.new_version(survey=active_survey)
    copied = draft.webhook_endpoints.get()
    assert (copied.url, copied.secret, copied.events) == (
        endpoint.url,
        endpoint.secret,
        endpoint.events,
    )
    assert draft.email_notification.include_answers
    draft.refresh_from_db()
    assert draft.sends_events


@pytest.mark.parametrize(
    "write",
    [
        lambda endpoint: integrations.send_test_event(endpoint=endpoint),
        lambda endpoint: integrations.replay(delivery=endpoint.deliveries.get()),
        lambda endpoint: integrations.replay_failed(endpoint=endpoint),
        lambda endpoint: integrations.update_endpoint(endpoint=endpoint, active=True),
    ],
    ids=["test event", "replay", "replay failed", "resume"],
)
def test_a_write_that_leaves_a_delivery_due_wakes_the_senders_once_committed(
    endpoint, active_survey, django_capture_on_commit_callbacks, monkeypatch, write
):
    """The service schedules its own wake-up: no view or API action has to remember."""
    integrations.update_endpoint(endpoint=endpoint, active=False)
    submit(active_survey)
    integrations.dispatch_events()
    endpoint.deliveries.update(status="failed")
    heard = []
    monkeypatch.setattr("integrations.wakeup.send_soon", lambda: heard.append(True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        write(endpoint)
    assert heard == [] and callbacks
    for callback in callbacks:
        callback()
    assert heard
