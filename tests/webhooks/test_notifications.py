"""Email notifications: one per response up to the hourly cap, then one "N more"
summary; a daily digest; answers only when the creator opts in; an unsubscribe link (and
one-click header) in every mail."""

import re
import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.utils import timezone

from integrations import services, tasks
from integrations.models import EmailNotification
from surveys import responses
from surveys.answers import clean_answers
from surveys.models import Survey
from tests.helpers import one_letter_off


@pytest.fixture
def notified(mixed_survey):
    """Alice's survey of every kind of question, emailing her each response."""
    Survey.objects.filter(pk=mixed_survey.pk).update(title="Q&A <night>")
    mixed_survey.refresh_from_db()
    services.set_notifications(
        survey=mixed_survey, each_response=True, daily_digest=False, include_answers=False
    )
    mixed_survey.refresh_from_db()
    return mixed_survey


def respond(survey, n=0):
    from dbtools.factories import answer_for

    questions = survey.questions.prefetch_related("options")
    responses.submit_response(
        survey=survey,
        token=uuid.uuid4().hex,
        answers=clean_answers(survey, {q.pk: answer_for(q, n) for q in questions}),
    )


def send_due_emails():
    """The dispatch task, as a worker runs it (here in-process: tasks are eager)."""
    tasks.dispatch.delay()


def test_each_response_is_an_email_without_the_answers(notified):
    respond(notified)
    send_due_emails()
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "New response to “Q&A <night>”"  # plain text: not escaped
    assert "answer 0" not in message.body and "Short text?" not in message.body
    html = message.alternatives[0][0]
    assert "Q&amp;A &lt;night&gt;" in html
    assert f"/surveys/{notified.pk}/" in message.body


def test_the_answers_are_in_the_email_when_the_creator_asks(notified):
    services.set_notifications(
        survey=notified, each_response=True, daily_digest=False, include_answers=True
    )
    respond(notified, n=1)
    send_due_emails()
    (message,) = mail.outbox
    assert "Short text?\n  answer 1" in message.body
    assert "Single choice?\n  Single choice 2" in message.body
    assert "Multiple choice?\n  Multiple choice 2, Multiple choice 3" in message.body
    assert "Number?\n  7" in message.body


def test_past_the_hourly_cap_one_summary_says_how_many_more(notified, settings):
    settings.NOTIFY_EMAILS_PER_HOUR = 3
    for n in range(8):
        respond(notified, n)
    send_due_emails()
    assert len(mail.outbox) == 3
    assert EmailNotification.objects.get().held_back == 5
    tasks.send_held_back_summaries()
    assert len(mail.outbox) == 4
    summary = mail.outbox[-1]
    assert summary.subject == "5 more responses to “Q&A <night>”"
    assert "beyond the 3 emails an hour" in summary.body
    tasks.send_held_back_summaries()
    assert len(mail.outbox) == 4  # counted once
    # A new hour: emails one by one again.
    EmailNotification.objects.update(hour_started_at=timezone.now() - timedelta(hours=1))
    respond(notified, 9)
    send_due_emails()
    assert len(mail.outbox) == 5 and mail.outbox[-1].subject.startswith("New response")


def test_the_daily_digest_counts_the_days_responses(mixed_survey):
    services.set_notifications(
        survey=mixed_survey, each_response=False, daily_digest=True, include_answers=False
    )
    mixed_survey.refresh_from_db()
    assert not mixed_survey.sends_events  # a digest counts rows; no events needed
    for n in range(3):
        respond(mixed_survey, n)
    tasks.send_digests()
    (digest,) = mail.outbox
    assert digest.subject == f"3 new responses to “{mixed_survey.title}”"
    tasks.send_digests()
    assert len(mail.outbox) == 1  # nothing new since: no empty digest
    respond(mixed_survey, 4)
    tasks.send_digests()
    assert mail.outbox[-1].subject.startswith("1 new response to")


def test_every_email_unsubscribes_in_one_click(notified, client):
    respond(notified)
    send_due_emails()
    (message,) = mail.outbox
    link = re.search(r"http://\S+/notifications/unsubscribe/\S+/", message.body).group(0)
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link.split("8000", 1)[1]
    page = client.get(path)  # a GET (a mail scanner following links) changes nothing
    assert page.status_code == 200 and EmailNotification.objects.get().each_response
    done = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"Emails stopped" in done.content
    notification = EmailNotification.objects.get()
    assert not notification.each_response and not notification.daily_digest
    notified.refresh_from_db()
    assert not notified.sends_events
    respond(notified)
    send_due_emails()
    assert len(mail.outbox) == 1


def test_a_tampered_unsubscribe_link_is_refused(notified, client):
    token = services.unsubscribe_token(EmailNotification.objects.get())
    response = client.post(f"/notifications/unsubscribe/{one_letter_off(token)}/")
    assert response.status_code == 400 and b"not valid" in response.content
    assert EmailNotification.objects.get().each_response


def unsubscribe_link_sent(survey, days_ago, monkeypatch):
    """The unsubscribe path in a notification email sent `days_ago` days ago."""
    then = int(time.time()) - days_ago * 86400
    with monkeypatch.context() as past:
        past.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then))
        respond(survey)
        send_due_emails()
    link = re.search(r"http://\S+/notifications/unsubscribe/\S+/", mail.outbox[-1].body).group(0)
    return link.split("8000", 1)[1]


@pytest.mark.parametrize("days_ago, works", [(89, True), (91, False)])
def test_unsubscribe_links_expire_after_ninety_days(
    notified, client, monkeypatch, days_ago, works
):
    path = unsubscribe_link_sent(notified, days_ago, monkeypatch)
    asked, done = client.get(path), client.post(path)
    if works:
        assert asked.status_code == done.status_code == 200 and b"Emails stopped" in done.content
    else:
        for page in (asked, done):
            assert page.status_code == 400 and b"That link has expired" in page.content
            assert b"work for 90 days" in page.content
    assert EmailNotification.objects.get().each_response is not works


def test_an_email_that_fails_to_send_is_retried(notified, settings, monkeypatch):
    attempts = []

    def flaky_send(self, *args, **kwargs):
        attempts.append(True)
        if len(attempts) == 1:
            raise ConnectionRefusedError("the mail server is restarting")
        return 1

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", flaky_send)
    respond(notified)
    (event_id,) = services.dispatch_events()
    # As a worker runs it (apply, not a direct call: Celery's retry policy applies).
    result = tasks.email_response.apply(args=[event_id], throw=False)
    assert result.successful() and len(attempts) == 2
    assert EmailNotification.objects.get().sent_this_hour == 1  # one email, counted once
