"""Delivery to a receiver on loopback: Standard Webhooks signatures the `standardwebhooks`
library verifies, retries on the documented schedule with the same webhook-id, a readable
log of every attempt, replays, and the limits that keep a receiver from holding a worker."""

import subprocess
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone

from integrations import client, services, tasks
from integrations.models import Attempt, Delivery, WebhookEndpoint
from surveys import responses
from surveys import services as surveys
from surveys.answers import clean_answers
from surveys.models import Event

from .conftest import deliver_everything, listen
from .receiver import Receiver


def submit(survey):
    questions = survey.questions.prefetch_related("options")
    answers = {q.pk: q.options.all()[0].pk for q in questions}
    return responses.submit_response(
        survey=survey, token=uuid.uuid4().hex, answers=clean_answers(survey, answers)
    )[0]


def outcomes(delivery):
    return [(a.outcome, a.status_code) for a in delivery.log.order_by("attempted_at", "pk")]


def test_an_event_arrives_signed_in_camel_case_and_verifies(endpoint, active_survey, receiver):
    submission = submit(active_survey)
    (result,) = deliver_everything()
    assert result.succeeded
    (request,) = receiver.requests
    assert request["verified"] is True
    event = Event.objects.get()
    assert request["id"] == event.event_id
    payload = request["payload"]
    assert payload["type"] == "response.submitted" and payload["version"] == 1
    assert payload["data"]["id"] == submission.pk
    assert set(payload["data"]["answers"][0]) == {
        "questionId",
        "optionId",
        "text",
        "number",
        "fileUrl",
    }
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["user-agent"].startswith("Canvass-Webhooks/")
    delivery = Delivery.objects.get()
    assert delivery.status == "succeeded" and outcomes(delivery) == [("success", 200)]


def test_a_tampered_or_wrongly_keyed_request_does_not_verify(endpoint, active_survey):
    """The receiver's check is real: with another secret nothing verifies."""
    with Receiver(secret=WebhookEndpoint().secret) as stranger:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=stranger.url)
        submit(active_survey)
        deliver_everything()
        assert [r["verified"] for r in stranger.requests] == [False]


def test_500_then_timeout_then_reset_then_200_is_one_delivery_with_every_attempt_logged(
    active_survey, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [60, 120, 600]
    with Receiver(script=[500, "timeout", "reset", 200]) as receiver:
        listen(active_survey, receiver)
        submit(active_survey)
        before = timezone.now()
        deliver_everything()
        delivery = Delivery.objects.get()
        # Tried again after the schedule's first delay, with 20% jitter either way.
        assert 48 <= (delivery.next_attempt_at - before).total_seconds() <= 73
        for _ in range(3):
            deliver_everything(retry_now=True)
        delivery.refresh_from_db()
        assert outcomes(delivery) == [
            ("status", 500),
            ("timeout", None),
            ("reset", None),
            ("success", 200),
        ]
        assert delivery.status == "succeeded" and delivery.attempts == 4
        assert deliver_everything(retry_now=True) == []  # nothing more is sent
        ids = [r["id"] for r in receiver.requests]
        assert len(ids) == 4 and len(set(ids)) == 1  # the same webhook-id on every try
        assert all(r["verified"] for r in receiver.requests)
        assert receiver.delivered() == ids[:1]


def test_after_the_last_retry_a_delivery_is_given_up_and_can_be_replayed(active_survey, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [1, 1]
    with Receiver(script=[503, 503, 503, 200]) as receiver:
        endpoint = listen(active_survey, receiver)
        submit(active_survey)
        for _ in range(4):
            deliver_everything(retry_now=True)
        delivery = Delivery.objects.get()
        assert delivery.status == "failed" and delivery.attempts == 3
        assert delivery.next_attempt_at is None
        endpoint.refresh_from_db()
        assert endpoint.failing_since is not None
        assert services.replay_failed(endpoint=endpoint) == [delivery.pk]
        deliver_everything()
        delivery.refresh_from_db()
        assert delivery.status == "succeeded" and delivery.log.count() == 4
        endpoint.refresh_from_db()
        assert endpoint.failing_since is None
        # A delivered event can be sent again too, with its webhook-id unchanged.
        services.replay(delivery=delivery)
        deliver_everything()
        assert len({r["id"] for r in receiver.requests}) == 1
        assert len(receiver.delivered()) == 2


def test_the_default_schedule_retries_for_more_than_a_day(settings):
    assert sum(settings.WEBHOOK_RETRY_SCHEDULE) > 24 * 3600
    assert sorted(settings.WEBHOOK_RETRY_SCHEDULE) == settings.WEBHOOK_RETRY_SCHEDULE


def test_a_413_is_named_with_a_hint_about_body_limits(active_survey):
    with Receiver(script=[413]) as receiver:
        listen(active_survey, receiver)
        submit(active_survey)
        deliver_everything()
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.status_code) == ("status", 413)
    assert "too large (413)" in attempt.hint and "client_max_body_size" in attempt.hint
    assert "<script>" in attempt.response_excerpt  # stored as sent; the page escapes it


def test_redirects_are_not_followed(active_survey):
    with Receiver() as target, Receiver(script=[("redirect", target.url)]) as receiver:
        listen(active_survey, receiver)
        submit(active_survey)
        deliver_everything()
        assert target.requests == []
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.status_code) == ("status", 302)
    assert "Redirects are not followed" in attempt.hint


@pytest.mark.parametrize(
    "script, outcome, detail",
    [
        (["timeout"], "timeout", "no answer within 1 s"),
        # The status came in time: delivered; the dripping body is cut off.
        (["drip"], "success", "the answer was cut off after 1 s"),
    ],
)
def test_a_slow_receiver_is_cut_off_at_the_timeout(
    active_survey, settings, script, outcome, detail
):
    settings.WEBHOOK_TIMEOUT = 1
    with Receiver(script=script) as receiver:
        listen(active_survey, receiver)
        submit(active_survey)
        started = time.monotonic()
        deliver_everything()
        took = time.monotonic() - started
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.detail) == (outcome, detail)
    assert took < 3, f"held the worker {took:.1f} s"


def test_a_batch_to_a_slow_receiver_stops_within_its_lease(active_survey, settings):
    """One task tries one endpoint's waiting deliveries in turn, but starts none after the
    timeout: the rest are due again at once, untried, and the batch ends within its lease."""
    settings.WEBHOOK_TIMEOUT = 1
    with Receiver(script=["timeout"]) as receiver:
        listen(active_survey, receiver)
        for _ in range(5):
            submit(active_survey)
        services.dispatch_events()
        (batch,) = services.queue_due()
        started = time.monotonic()
        results = services.attempt_batch(delivery_ids=batch)
        took = time.monotonic() - started
    assert len(batch) == 5 and [r.outcome for r in results] == ["timeout"] * len(results)
    assert 1 <= len(results) <= 2 and took < 2 * settings.WEBHOOK_TIMEOUT + 1
    untried = Delivery.objects.filter(attempts=0)
    assert untried.count() == 5 - len(results)
    assert all(d.next_attempt_at <= timezone.now() for d in untried)
    assert [len(b) for b in services.queue_due()] == [5 - len(results)]


def test_a_batch_sends_each_delivery_once_and_logs_it(endpoint, active_survey, receiver):
    for _ in range(3):
        submit(active_survey)
    services.dispatch_events()
    (batch,) = services.queue_due()
    results = services.attempt_batch(delivery_ids=batch)
    assert [r.outcome for r in results] == ["success"] * 3
    assert services.attempt_batch(delivery_ids=batch) == []  # delivered: not due again
    assert len(receiver.requests) == 3 == len({r["id"] for r in receiver.requests})
    assert list(Delivery.objects.order_by().values_list("status", "attempts").distinct()) == [
        ("succeeded", 1)
    ]


def test_a_huge_answer_is_read_a_kilobyte_only(active_survey):
    with Receiver(script=["huge"]) as receiver:
        listen(active_survey, receiver)
        submit(active_survey)
        started = time.monotonic()
        deliver_everything()
        took = time.monotonic() - started
    attempt = Attempt.objects.get()
    assert attempt.outcome == "success" and len(attempt.response_excerpt) == 1024
    assert took < 3, f"held the worker {took:.1f} s"


def test_nothing_listening_on_the_port_is_connection_refused(active_survey):
    with Receiver() as receiver:
        url = receiver.url
        listen(active_survey, receiver)
    submit(active_survey)  # the receiver has stopped: its port is closed
    deliver_everything()
    attempt = Attempt.objects.get()
    assert attempt.outcome == "refused" and url.startswith("http://127.0.0.1:")


def test_a_test_event_goes_to_that_endpoint_only(active_survey, receiver):
    endpoint = listen(active_survey, receiver)
    with Receiver() as other:
        listen(active_survey, other)
        services.send_test_event(endpoint=endpoint)
        deliver_everything()
        assert other.requests == []
    (request,) = receiver.requests
    assert request["payload"]["type"] == "webhook.test" and request["verified"]


def test_during_a_rotation_both_secrets_sign(endpoint, active_survey, receiver):
    old = endpoint.secret
    rotated = services.rotate_secret(endpoint=endpoint)
    assert rotated.secret != old
    submit(active_survey)
    deliver_everything()
    assert receiver.requests[-1]["verified"]  # the receiver still has the old secret
    receiver.secret = rotated.secret
    services.send_test_event(endpoint=rotated)
    deliver_everything()
    assert receiver.requests[-1]["verified"]
    assert len(receiver.requests[-1]["headers"]["webhook-signature"].split()) == 2
    # After the grace period only the new secret signs.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1)
    )
    receiver.secret = old
    services.send_test_event(endpoint=rotated)
    deliver_everything()
    assert receiver.requests[-1]["verified"] is False


def test_an_endpoint_added_later_does_not_get_earlier_events(active_survey, receiver):
    with Receiver() as first:
        listen(active_survey, first)
        submit(active_survey)
        listen(active_survey, receiver)
        deliver_everything()
        assert len(first.requests) == 1
    assert receiver.requests == []


def test_only_the_chosen_events_are_sent(active_survey, receiver):
    listen(active_survey, receiver, events=["survey.closed"])
    submit(active_survey)
    surveys.close_survey(survey=active_survey)
    deliver_everything()
    assert [r["payload"]["type"] for r in receiver.requests] == ["survey.closed"]


def test_a_paused_endpoint_waits_then_sends_what_waited(endpoint, active_survey, receiver):
    services.update_endpoint(endpoint=endpoint, active=False)
    submit(active_survey)
    submit(active_survey)
    assert deliver_everything() == [] and receiver.requests == []
    services.update_endpoint(endpoint=endpoint, active=True)
    deliver_everything()
    assert len(receiver.delivered()) == 2


def test_an_endpoint_failing_for_days_is_paused_and_its_owner_told(
    endpoint, active_survey, settings
):
    settings.WEBHOOK_PAUSE_AFTER = timedelta(days=3)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=2)
    )
    tasks.pause_failing_endpoints()
    assert mail.outbox == []  # two days: not yet
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=3, minutes=1)
    )
    tasks.pause_failing_endpoints()
    endpoint.refresh_from_db()
    assert not endpoint.active and "failing for 3 days" in endpoint.paused_reason
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"] and endpoint.url in message.body
    assert f"/surveys/webhooks/{endpoint.pk}/" in message.body
    tasks.pause_failing_endpoints()
    assert len(mail.outbox) == 1  # told once


def test_one_delivery_is_tried_by_one_worker_at_a_time(endpoint, active_survey, receiver):
    """Two messages for the same delivery (a sweep and a redelivery): one attempt."""
    submit(active_survey)
    services.dispatch_events()
    ((delivery_id,),) = services.queue_due()
    assert services.queue_due() == []  # queued: the next sweep leaves it alone
    first = services.attempt(delivery_id=delivery_id)
    second = services.attempt(delivery_id=delivery_id)
    assert first.succeeded and second is None
    assert len(receiver.requests) == 1


def test_a_lost_message_is_queued_again_after_its_lease(endpoint, active_survey, receiver):
    submit(active_survey)
    services.dispatch_events()
    ((delivery_id,),) = services.queue_due()
    Delivery.objects.filter(pk=delivery_id).update(queued_until=timezone.now())
    assert services.queue_due() == [[delivery_id]]


def test_without_a_broker_the_sender_thread_delivers_outside_the_request(
    transactional_db, settings, alice
):
    """The embedded default: the taker's request returns before anything is sent; a
    thread of the process sends it."""
    from dbtools.factories import build_survey
    from integrations import sender
    from surveys.models import Survey

    settings.WEBHOOK_SEND_IN_PROCESS = True
    survey = build_survey(owner=alice, status=Survey.Status.ACTIVE)
    with Receiver(script=["timeout", 200]) as receiver:
        listen(survey, receiver)
        started = time.monotonic()
        submit(survey)  # commits: the thread is woken; the receiver holds it a second
        assert time.monotonic() - started < 0.5
        assert receiver.wait_for(lambda: Attempt.objects.exists(), seconds=10)
        Delivery.objects.update(next_attempt_at=timezone.now())  # its retry is due
        sender.wake()
        assert receiver.wait_for(lambda: receiver.delivered(), seconds=10)


def test_an_endpoint_with_a_batch_in_flight_is_queued_no_other(active_survey):
    """Its next batch waits for this one to end; other endpoints' go meanwhile: a slow
    endpoint's backlog can't fill the queue ahead of them."""
    busy, other = (
        WebhookEndpoint.objects.create(
            survey=active_survey, url=f"https://example.com/{n}", events=["response.submitted"]
        )
        for n in range(2)
    )
    now = timezone.now()
    for _ in range(services.BATCH + 10):
        event = Event.objects.create(
            survey=active_survey, type=Event.Type.TEST, payload={}, dispatched_at=now
        )
        Delivery.objects.create(event=event, endpoint=busy, next_attempt_at=now)
    Delivery.objects.create(event=event, endpoint=other, next_attempt_at=now)
    first = services.queue_due()
    assert sorted(len(batch) for batch in first) == [1, services.BATCH]
    assert services.queue_due() == []  # both in flight: the 10 left wait
    (batch,) = [batch for batch in first if len(batch) == services.BATCH]
    claimed = services._claim(batch)
    assert services.queue_due() == []  # still in flight while it is tried
    Delivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
        status=Delivery.Status.SUCCEEDED, queued_until=None
    )  # as attempt_batch ends it
    (rest,) = services.queue_due()
    assert len(rest) == 10 and set(rest).isdisjoint(batch)


def test_without_a_broker_a_slow_endpoint_does_not_hold_the_others(
    transactional_db, settings, alice
):
    """One receiver takes 1.5 s to answer (within the deadline), the other answers at
    once: the fast one's deliveries arrive at once while the slow one's wait their turn."""
    from dbtools.factories import build_survey
    from surveys.models import Survey

    settings.WEBHOOK_SEND_IN_PROCESS = True
    settings.WEBHOOK_TIMEOUT = 5
    survey = build_survey(owner=alice, status=Survey.Status.ACTIVE)
    with Receiver(script=[("sleep", 1.5)]) as slow, Receiver() as fast:
        slow_endpoint = listen(survey, slow)
        listen(survey, fast)
        started = time.monotonic()
        for _ in range(3):
            submit(survey)  # each commit wakes the sender
        assert fast.wait_for(lambda: len(fast.requests) == 3, seconds=30)
        took = time.monotonic() - started
        waiting = slow_endpoint.deliveries.filter(status=Delivery.Status.PENDING).count()
        # Not to leave the sender's threads writing as the test's database goes.
        assert slow.wait_for(
            lambda: not Delivery.objects.filter(status=Delivery.Status.PENDING).exists()
        )
    assert waiting >= 1 and took < 1.5, f"the fast endpoint's 3 took {took:.1f} s"
    assert len(slow.requests) == 3 and len(fast.requests) == 3


def test_logs_older_than_the_retention_go_unless_still_waiting(endpoint, active_survey, settings):
    settings.WEBHOOK_LOG_DAYS = 30
    for _ in range(3):
        submit(active_survey)
    deliver_everything()
    old, waiting, recent = Event.objects.order_by("pk")
    Delivery.objects.filter(event=waiting).update(status="pending")
    Event.objects.filter(pk__in=[old.pk, waiting.pk]).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    assert services.purge_old_events() == 1
    assert list(Event.objects.order_by("pk")) == [waiting, recent]
    assert not Attempt.objects.filter(delivery__event_id=old.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_claim_batches_of_one_endpoint_side_by_side(endpoint, active_survey):
    """A claim locks its deliveries' rows only, not their endpoint's: while one worker's
    batch is claimed (its transaction still open), another worker claims the next batch
    of the same endpoint instead of skipping it as locked."""
    for _ in range(2):
        submit(active_survey)
    services.dispatch_events()
    first, second = Delivery.objects.order_by("pk").values_list("pk", flat=True)
    claimed = []
    with transaction.atomic():
        assert [d.pk for d in services._claim([first])] == [first]
        if connection.vendor == "postgresql":  # SQLite has one writer at a time anyway
            worker = threading.Thread(
                target=lambda: (
                    claimed.extend(d.pk for d in services._claim([second])),
                    connections.close_all(),
                )
            )
            worker.start()
            worker.join(timeout=30)
    if connection.vendor != "postgresql":
        claimed = [d.pk for d in services._claim([second])]
    assert claimed == [second]


def test_without_a_broker_the_sender_sends_every_due_delivery_batch_after_batch(
    transactional_db, settings, alice
):
    """One batch per endpoint at a time; the tasks the sender's threads run go on till
    nothing is due, as workers do."""
    from dbtools.factories import build_survey
    from integrations import sender
    from surveys.models import Survey

    settings.WEBHOOK_SEND_IN_PROCESS = True
    survey = build_survey(owner=alice, status=Survey.Status.ACTIVE)
    with Receiver() as receiver:
        endpoint = listen(survey, receiver)
        now = timezone.now()
        for _ in range(services.BATCH + 5):
            event = Event.objects.create(
                survey=survey, type=Event.Type.TEST, payload={}, dispatched_at=now
            )
            Delivery.objects.create(event=event, endpoint=endpoint, next_attempt_at=now)
        sender.wake()
        succeeded = Delivery.objects.filter(status=Delivery.Status.SUCCEEDED)
        assert receiver.wait_for(lambda: succeeded.count() == services.BATCH + 5)
    assert len(receiver.requests) == services.BATCH + 5


@pytest.fixture(scope="module")
def localhost_certificate(tmp_path_factory):
    """A self-signed certificate for localhost: (certificate, key) files."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_is_verified_against_the_systems_trust_store(
    settings, monkeypatch, localhost_certificate
):
    """A receiver whose certificate the machine doesn't trust is a TLS failure, named; once
    the operator trusts it (SSL_CERT_FILE, as for the rest of the system), it is delivered."""
    settings.WEBHOOK_ALLOW_HTTP = False
    with Receiver(tls=localhost_certificate) as receiver:
        settings.WEBHOOK_ALLOWED_HOSTS = [f"localhost:{receiver.port}"]
        untrusted = client.post(receiver.url, b"{}", {})
        monkeypatch.setenv("SSL_CERT_FILE", str(localhost_certificate[0]))
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        trusted = client.post(receiver.url, b"{}", {})
    assert untrusted.outcome == "tls" and "certificate" in untrusted.detail
    assert trusted.succeeded and len(receiver.requests) == 1
