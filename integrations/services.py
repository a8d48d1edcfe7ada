"""Every write of webhooks and notifications, with its rules: endpoints, the fan-out of
events into deliveries, each delivery attempt with its retry schedule, replays, and the
email notification settings.

Delivery is at least once. An event becomes one Delivery per subscribed endpoint; a
delivery is tried (signed per Standard Webhooks, `webhook-id` = the event's id, the same
on every try) until the receiver answers 2xx or WEBHOOK_RETRY_SCHEDULE runs out, then it
is marked given up. Receivers deduplicate by `webhook-id`.
"""

import json
import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from djangorestframework_camel_case.util import camelize
from standardwebhooks import Webhook

from surveys.errors import LimitReached
from surveys.events import payload as event_payload
from surveys.models import Event, Survey

from . import client, policy, wakeup
from .models import Attempt, Delivery, EmailNotification, WebhookEndpoint, new_secret

logger = logging.getLogger("canvass.integrations")

MAX_ENDPOINTS_PER_SURVEY = 10
ROTATION_GRACE = timedelta(hours=24)
UNSUBSCRIBE_SALT = "canvass.notifications.unsubscribe"
# An unsubscribe link works this long after its email was sent. Each email carries a fresh
# one, so while emails come the newest always works; longer than anyone acts on a mail
# they got, while a link left in an old archive or a forwarded mail stops working. The
# survey's settings page turns the emails off at any time.
UNSUBSCRIBE_MAX_AGE = timedelta(days=90)


# --- who listens ----------------------------------------------------------------------


def _refresh_sends_events(survey):
    """Survey.sends_events: true while an endpoint (a paused one keeps what it will send
    when resumed) or emails per response listen. Call with the survey's row locked."""
    listening = (
        survey.webhook_endpoints.exists()
        or EmailNotification.objects.filter(survey=survey, each_response=True).exists()
    )
    Survey.objects.filter(pk=survey.pk).update(sends_events=listening)
    survey.sends_events = listening


def _lock(survey):
    return Survey.objects.select_for_update().get(pk=survey.pk)


# --- endpoints ----------------------------------------------------------------------------


def _clean_endpoint(url, events, *, resolve=True):
    """ValidationError unless webhooks may go to `url` and `events` are known. The name is
    resolved (`resolve`: a new or changed address) and every address it resolves to must
    be allowed; one that resolves to nothing is refused too, as a typo is likelier than a
    name yet to come. Delivery checks the name again, whatever it resolves to then."""
    errors = {}
    try:
        _, host, port, _ = policy.check_url(url)
        if resolve:
            policy.resolve(host, port)
    except policy.AddressRefused as exc:
        errors["url"] = exc.reason
    except LookupError as exc:
        errors["url"] = f"{exc}: check the address."
    unknown = set(events) - set(WebhookEndpoint.EVENT_TYPES)
    if unknown or not events:
        errors["events"] = "Choose at least one of the events listed."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_endpoint(*, survey, url, events, description=""):
    """A new active endpoint; its secret is shown to the creator once (the caller's job)."""
    _clean_endpoint(url, events)
    _lock(survey)
    if survey.webhook_endpoints.count() >= MAX_ENDPOINTS_PER_SURVEY:
        raise LimitReached(f"A survey can have at most {MAX_ENDPOINTS_PER_SURVEY} webhooks.")
    endpoint = WebhookEndpoint.objects.create(
        survey=survey, url=url, events=list(events), description=description
    )
    _refresh_sends_events(survey)
    logger.info("webhook added endpoint=%s survey=%s", endpoint.pk, survey.pk)
    return endpoint


@transaction.atomic
def update_endpoint(*, endpoint, **changes):
    """Change any of url, events, description and active (pausing or resuming it)."""
    unknown = set(changes) - {"url", "events", "description", "active"}
    if unknown:
        raise TypeError(f"not endpoint fields: {sorted(unknown)}")
    url = changes.get("url", endpoint.url)
    _clean_endpoint(url, changes.get("events", endpoint.events), resolve=url != endpoint.url)
    _lock(endpoint.survey)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    if "active" in changes:
        endpoint.paused_reason = "" if endpoint.active else "Paused by you."
        if endpoint.active:
            endpoint.failing_since = None
            # What waited while it was paused goes now.
            endpoint.deliveries.filter(status=Delivery.Status.PENDING).update(
                next_attempt_at=timezone.now(), queued_until=None
            )
            wakeup.after_commit()
    endpoint.save()
    _refresh_sends_events(endpoint.survey)
    logger.info("webhook changed endpoint=%s fields=%s", endpoint.pk, ",".join(sorted(changes)))


@transaction.atomic
def delete_endpoint(*, endpoint):
    pk, survey = endpoint.pk, endpoint.survey
    _lock(survey)
    endpoint.delete()
    _refresh_sends_events(survey)
    logger.info("webhook deleted endpoint=%s survey=%s", pk, survey.pk)


@transaction.atomic
def rotate_secret(*, endpoint):
    """A new signing secret; the old one keeps signing too for ROTATION_GRACE, so the
    receiver can switch without losing a delivery."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + ROTATION_GRACE
    endpoint.secret = new_secret()
    endpoint.save()
    logger.info("webhook secret rotated endpoint=%s", endpoint.pk)
    return endpoint


@transaction.atomic
def copy_listeners(*, previous, draft):
    """The previous version's endpoints and email notifications, on its new version."""
    _lock(draft)
    WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(
            survey=draft,
            url=endpoint.url,
            description=endpoint.description,
            events=endpoint.events,
            active=endpoint.active,
            paused_reason=endpoint.paused_reason,
            secret=endpoint.secret,
        )
        for endpoint in previous.webhook_endpoints.all()
    )
    notification = EmailNotification.objects.filter(survey=previous).first()
    if notification is not None:
        EmailNotification.objects.create(
            survey=draft,
            each_response=notification.each_response,
            daily_digest=notification.daily_digest,
            include_answers=notification.include_answers,
        )
    _refresh_sends_events(draft)


def _pause_failing(endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False,
        paused_reason=(
            f"Paused after failing for {settings.WEBHOOK_PAUSE_AFTER.days} days: fix the "
            "receiver, then resume it to send what waited."
        ),
    )
    with transaction.atomic():
        _refresh_sends_events(_lock(endpoint.survey))
    logger.warning("webhook paused after failing endpoint=%s", endpoint.pk)


# --- events into deliveries ------------------------------------------------------------


def dispatch_events(*, limit=500):
    """Make the deliveries of events not yet dispatched, one per endpoint that subscribed
    to the event's type before it happened. Returns the ids of the response events whose
    survey wants an email for each response."""
    with transaction.atomic():
        pending = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("created_at", "pk")[:limit]
        )
        if not pending:
            return []
        surveys = {event.survey_id for event in pending}
        endpoints = {}
        for endpoint in WebhookEndpoint.objects.filter(survey_id__in=surveys):
            endpoints.setdefault(endpoint.survey_id, []).append(endpoint)
        emailed = set(
            EmailNotification.objects.filter(survey_id__in=surveys, each_response=True)
            .values_list("survey_id", flat=True)
        )  # fmt: skip
        now = timezone.now()
        Delivery.objects.bulk_create(
            [
                Delivery(event=event, endpoint=endpoint, next_attempt_at=now)
                for event in pending
                for endpoint in endpoints.get(event.survey_id, ())
                if endpoint.subscribes_to(event.type) and endpoint.created_at <= event.created_at
            ],
            ignore_conflicts=True,
        )
        Event.objects.filter(pk__in=[event.pk for event in pending]).update(dispatched_at=now)
    return [
        event.pk
        for event in pending
        if event.type == Event.Type.RESPONSE_SUBMITTED and event.survey_id in emailed
    ]


def _lease():
    """How long a delivery queued or being tried is left alone before a sweep may queue it
    again (the message was lost, the worker died): longer than any attempt takes."""
    return timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT + 10)


# Deliveries tried by one task, one after another: claimed in one transaction and logged
# in another, so a busy endpoint costs a few queries per batch, not per event.
BATCH = 50


def queue_due(*, endpoints=200):
    """The deliveries to try now, as batches of ids: the oldest of each endpoint, leased so
    the next sweep doesn't queue them twice while their message waits.

    An endpoint whose batch is queued or being tried gets no other: a slow receiver holds
    one worker at most, and its backlog never queues ahead of other endpoints' batches
    (it did: 50-delivery batches of one slow endpoint filled the queue and both worker
    processes, and another endpoint's deliveries waited behind them). Its next batch is
    queued when this one ends."""
    now = timezone.now()
    due = Delivery.objects.to_queue(now)
    in_flight = Delivery.objects.filter(
        status=Delivery.Status.PENDING, queued_until__gt=now
    ).values("endpoint_id")
    ready = (
        due.exclude(endpoint_id__in=in_flight)
        .order_by()
        .values_list("endpoint_id", flat=True)
        .distinct()[:endpoints]
    )
    batches = []
    with transaction.atomic():
        for endpoint_id in ready:
            batch = list(
                due.filter(endpoint_id=endpoint_id)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if batch:
                batches.append(batch)
        Delivery.objects.filter(pk__in=[pk for batch in batches for pk in batch]).update(
            queued_until=now + _lease()
        )
    return batches


def send_test_event(*, endpoint):
    """A test event for this endpoint alone; its delivery id."""
    survey = endpoint.survey
    with transaction.atomic():
        event = Event.objects.create(
            survey=survey,
            type=Event.Type.TEST,
            dispatched_at=timezone.now(),
            payload=event_payload(
                survey,
                Event.Type.TEST,
                {"message": "A test event from Canvass: your endpoint works."},
            ),
        )
        delivery = Delivery.objects.create(
            event=event, endpoint=endpoint, next_attempt_at=timezone.now()
        )
        wakeup.after_commit()
    return delivery.pk


# --- one attempt ----------------------------------------------------------------------------


def _claim(delivery_ids):
    """The deliveries among `delivery_ids` that are due, leased for this batch: those done,
    waiting for a retry, paused or being tried by another worker are left out."""
    now = timezone.now()
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .due(now)
            .select_related("event", "endpoint")
            .filter(pk__in=delivery_ids)
            .order_by("next_attempt_at", "pk")
        )
        # Not due again until this batch is over (or long past, if its worker died), and
        # its endpoint in flight till then: queue_due queues it no other batch.
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            next_attempt_at=now + _lease(), queued_until=now + _lease()
        )
    return deliveries


def signed_request(endpoint, event, now=None):
    """The body and Standard Webhooks headers of `event` for `endpoint`: webhook-id is the
    event's (the same on every try), the timestamp is now, and during a rotation both
    secrets sign."""
    now = now or timezone.now()
    body = json.dumps(camelize(event.payload), separators=(",", ":"))
    secrets = [endpoint.secret]
    grace = endpoint.previous_secret_until
    if endpoint.previous_secret and grace and now < grace:
        secrets.append(endpoint.previous_secret)
    signatures = " ".join(Webhook(s).sign(event.event_id, now, body) for s in secrets)
    headers = {
        "webhook-id": event.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }
    return body.encode(), headers


def _next_try(attempts):
    """When to try again after `attempts` failed tries in this round, or None: give up."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    delay = schedule[attempts - 1]
    return timezone.now() + timedelta(seconds=delay * random.uniform(0.8, 1.2))


def attempt(*, delivery_id):
    """Try one delivery once, if it is due; its Result, or None."""
    results = attempt_batch(delivery_ids=[delivery_id])
    return results[0] if results else None


def attempt_batch(*, delivery_ids):
    """Try each due delivery among `delivery_ids` once, log the attempts and schedule what
    follows; the Results, in order. A batch starts no new try after WEBHOOK_TIMEOUT
    seconds, so it ends within the lease; what it didn't try is due again at once."""
    deliveries = _claim(delivery_ids)
    started, results = time.monotonic(), []
    for delivery in deliveries:
        if time.monotonic() - started > settings.WEBHOOK_TIMEOUT:
            break
        body, headers = signed_request(delivery.endpoint, delivery.event)
        results.append(client.post(delivery.endpoint.url, body, headers))
    tried, left = deliveries[: len(results)], deliveries[len(results) :]
    now = timezone.now()
    succeeded = [d.pk for d, result in zip(tried, results, strict=True) if result.succeeded]
    failed = {}  # tries so far → deliveries that failed this time (one retry time each)
    for delivery, result in zip(tried, results, strict=True):
        if not result.succeeded:
            failed.setdefault(delivery.attempts + 1, []).append(delivery.pk)
    latest = {d.endpoint_id: result.succeeded for d, result in zip(tried, results, strict=True)}
    with transaction.atomic():
        Attempt.objects.bulk_create(
            Attempt(
                delivery=delivery,
                outcome=result.outcome,
                status_code=result.status_code,
                latency_ms=result.latency_ms,
                response_excerpt=result.excerpt,
                detail=result.detail,
            )
            for delivery, result in zip(tried, results, strict=True)
        )
        # A few statements per batch, not one per delivery.
        Delivery.objects.filter(pk__in=succeeded).update(
            attempts=F("attempts") + 1,
            status=Delivery.Status.SUCCEEDED,
            succeeded_at=now,
            next_attempt_at=None,
            queued_until=None,
        )
        for attempts, pks in failed.items():
            retry_at = _next_try(attempts)
            Delivery.objects.filter(pk__in=pks).update(
                attempts=attempts,
                next_attempt_at=retry_at,
                status=Delivery.Status.PENDING if retry_at else Delivery.Status.FAILED,
                queued_until=None,
            )
        Delivery.objects.filter(pk__in=[d.pk for d in left]).update(
            next_attempt_at=now, queued_until=None
        )
        for endpoint_id, succeeded_last in latest.items():
            endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
            if succeeded_last:
                endpoints.filter(failing_since__isnull=False).update(failing_since=None)
            else:
                endpoints.filter(failing_since__isnull=True).update(failing_since=now)
    for delivery, result in zip(tried, results, strict=True):
        log = logger.info if result.succeeded else logger.warning
        log(
            "webhook attempt delivery=%s event=%s endpoint=%s outcome=%s status=%s ms=%s",
            delivery.pk, delivery.event.event_id, delivery.endpoint_id, result.outcome,
            result.status_code, result.latency_ms,
        )  # fmt: skip
    return results


# --- replays ----------------------------------------------------------------------------


def replay(*, delivery):
    """Send a delivery again from the start of the schedule, whatever became of it."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        queued_until=None,
    )
    wakeup.after_commit()
    logger.info("webhook replay delivery=%s", delivery.pk)
    return delivery.pk


def replay_failed(*, endpoint):
    """Every given-up delivery of the endpoint, again; their ids."""
    failed = list(
        endpoint.deliveries.filter(status=Delivery.Status.FAILED).values_list("pk", flat=True)
    )
    Delivery.objects.filter(pk__in=failed).update(
        status=Delivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        queued_until=None,
    )
    wakeup.after_commit()
    logger.info("webhook replay of failed endpoint=%s deliveries=%s", endpoint.pk, len(failed))
    return failed


def pause_long_failing():
    """Endpoints failing for WEBHOOK_PAUSE_AFTER: paused; the owner hears of it. Returns
    them."""
    since = timezone.now() - settings.WEBHOOK_PAUSE_AFTER
    paused = list(
        WebhookEndpoint.objects.filter(active=True, failing_since__lt=since).select_related(
            "survey__owner"
        )
    )
    for endpoint in paused:
        _pause_failing(endpoint)
    return paused


def purge_old_events():
    """Events older than WEBHOOK_LOG_DAYS, with their deliveries and logs, once none of
    their deliveries waits any more; how many went."""
    before = timezone.now() - timedelta(days=settings.WEBHOOK_LOG_DAYS)
    waiting = Delivery.objects.filter(status=Delivery.Status.PENDING).values("event_id")
    old = Event.objects.filter(created_at__lt=before, dispatched_at__isnull=False).exclude(
        pk__in=waiting
    )
    deleted = old.delete()[1].get(Event._meta.label, 0)
    logger.info("old webhook events deleted count=%s", deleted)
    return deleted


# --- email notifications -----------------------------------------------------------------


@transaction.atomic
def set_notifications(*, survey, each_response, daily_digest, include_answers):
    _lock(survey)
    EmailNotification.objects.update_or_create(
        survey=survey,
        defaults={
            "each_response": each_response,
            "daily_digest": daily_digest,
            "include_answers": include_answers,
        },
    )
    _refresh_sends_events(survey)
    logger.info(
        "notifications set survey=%s each=%s digest=%s answers=%s",
        survey.pk, each_response, daily_digest, include_answers,
    )  # fmt: skip


def unsubscribe_token(notification):
    return signing.dumps(notification.pk, salt=UNSUBSCRIBE_SALT)


def notification_behind(token):
    """The notification an unsubscribe link names (None once it is deleted); raises
    signing.SignatureExpired past UNSUBSCRIBE_MAX_AGE, signing.BadSignature when forged."""
    pk = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    return EmailNotification.objects.filter(pk=pk).select_related("survey").first()


def unsubscribe(*, notification):
    """Turn off every email of `notification`."""
    set_notifications(
        survey=notification.survey, each_response=False, daily_digest=False,
        include_answers=notification.include_answers,
    )  # fmt: skip


def take_email_slot(*, survey):
    """Whether one more per-response email may go this hour (the cap), counting one held
    back when not."""
    with transaction.atomic():
        notification = EmailNotification.objects.select_for_update().filter(survey=survey).first()
        if notification is None or not notification.each_response:
            return None
        now = timezone.now()
        started = notification.hour_started_at
        if started is None or now - started >= timedelta(hours=1):
            notification.hour_started_at = now
            notification.sent_this_hour = 0
        if notification.sent_this_hour >= notification.cap():
            notification.held_back += 1
            notification.save(update_fields=["held_back"])
            return None
        notification.sent_this_hour += 1
        notification.save(update_fields=["hour_started_at", "sent_this_hour"])
        return notification


def clear_held_back(*, notification, count):
    """`count` held-back responses have been summarised (more may have come since)."""
    EmailNotification.objects.filter(pk=notification.pk).update(
        held_back=Greatest(F("held_back") - count, 0)
    )


def mark_digest_sent(*, notification, at):
    EmailNotification.objects.filter(pk=notification.pk).update(last_digest_at=at)
