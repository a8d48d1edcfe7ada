"""Webhook deliveries and notification emails: Celery tasks, run by the workers, or without
a broker by the web process's sender threads (sender.py). Every task is safe to run twice:
attempts are leased, emails are counted."""

import logging

from celery import shared_task
from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from lib.email import EMAIL_RETRIES, send
from surveys.models import Event, Submission
from surveys.structure import survey_structure

from . import sender, services
from .models import EmailNotification

logger = logging.getLogger("canvass.integrations")


@shared_task
def dispatch():
    """New events into deliveries, then each delivery that is due to a worker, and the
    per-response emails to theirs. Sent when an event commits or a creator asks, and every
    WEBHOOK_SWEEP_SECONDS by beat for whatever a retry or a lost message left waiting."""
    for event_id in services.dispatch_events():
        _queue(email_response, event_id)
    _queue_due()


def _queue_due():
    for batch in services.queue_due():
        _queue(attempt_deliveries, batch)


def _queue(task, *args):
    """To a worker; without a broker, to the sender's threads, which stand in for them
    (in a test that turned them off, here and now)."""
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.WEBHOOK_SEND_IN_PROCESS:
        sender.run_soon(task, *args)
    else:
        task.delay(*args)


@shared_task
def attempt_deliveries(delivery_ids):
    """One endpoint's batch; then its next (queue_due queues one batch per endpoint at a
    time), and whatever else is due, without waiting for the sweep."""
    services.attempt_batch(delivery_ids=delivery_ids)
    _queue_due()


@shared_task
def pause_failing_endpoints():
    """Hourly: endpoints failing for days are paused, and their owners told."""
    for endpoint in services.pause_long_failing():
        survey = endpoint.survey
        link = settings.SITE_URL + reverse("integrations:endpoint", args=[endpoint.pk])
        send(
            "integrations/email/endpoint_paused",
            survey.owner.email,
            {"endpoint": endpoint, "survey": survey, "link": link},
        )


@shared_task
def purge_old_events():
    """Daily: delivery logs older than WEBHOOK_LOG_DAYS go."""
    services.purge_old_events()


def _settings_link(survey):
    return settings.SITE_URL + reverse("integrations:survey", args=[survey.pk])


def _results_link(survey):
    return settings.SITE_URL + reverse("surveys:results", args=[survey.pk])


def _unsubscribe_link(notification):
    token = services.unsubscribe_token(notification)
    return settings.SITE_URL + reverse("integrations:unsubscribe", args=[token])


def _send(template, notification, context):
    send(
        f"integrations/email/{template}",
        notification.to,
        {
            "survey": notification.survey,
            "notification": notification,
            "settings_link": _settings_link(notification.survey),
            "results_link": _results_link(notification.survey),
            "unsubscribe_link": _unsubscribe_link(notification),
            **context,
        },
        headers={
            "List-Unsubscribe": f"<{_unsubscribe_link(notification)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


@shared_task(bind=True, **EMAIL_RETRIES)
def email_response(self, event_id):
    """One email for one response, within the hourly cap (the rest are counted for the
    hour's summary)."""
    event = Event.objects.select_related("survey__owner").filter(pk=event_id).first()
    if event is None:
        return
    if self.request.retries:  # the first try took this email's place in the hour
        notification = EmailNotification.objects.filter(
            survey=event.survey, each_response=True
        ).first()
    else:
        notification = services.take_email_slot(survey=event.survey)
    if notification is None:
        return
    answers = None
    if notification.include_answers:
        answers = _readable(event.survey, event.payload["data"]["answers"])
    _send("response", notification, {"event": event, "answers": answers})


def _readable(survey, answers):
    """An event's answers as the creator reads them: (prompt, what was answered), in the
    survey's order; the ticks of a multiple choice together."""
    given = {}
    for answer in answers:
        if answer["option_id"] is not None:
            value = answer["option_id"]
        elif answer["number"] is not None:
            value = str(answer["number"])
        else:
            value = answer["text"]
        given.setdefault(answer["question_id"], []).append(value)
    readable = []
    for question in survey_structure(survey):
        if question.pk in given:
            options = {option.pk: option.text for option in question.options}
            values = [options.get(value, value) for value in given[question.pk]]
            readable.append((question.prompt, ", ".join(map(str, values))))
    return readable


@shared_task(**EMAIL_RETRIES)
def send_held_back_summaries():
    """Hourly: "N more responses" for each survey whose emails the cap held back."""
    for notification in EmailNotification.objects.filter(held_back__gt=0).select_related(
        "survey__owner"
    ):
        held = notification.held_back
        _send("held_back", notification, {"count": held})
        services.clear_held_back(notification=notification, count=held)


@shared_task(**EMAIL_RETRIES)
def send_digests():
    """Daily: the responses of the last day, for each survey that asked for a digest."""
    now = timezone.now()
    for notification in EmailNotification.objects.filter(daily_digest=True).select_related(
        "survey__owner"
    ):
        since = notification.last_digest_at or now - timezone.timedelta(days=1)
        count = Submission.objects.filter(survey=notification.survey, created_at__gte=since)
        total = count.aggregate(n=Count("pk", filter=Q(created_at__lt=now)))["n"]
        if total:
            _send("digest", notification, {"count": total, "since": since})
        services.mark_digest_sent(notification=notification, at=now)
