"""Webhooks on real processes: submissions through NGINX to both app nodes, the outbox in
PostgreSQL, deliveries by the Celery worker (and beat's sweep) to a receiver on loopback
that checks every signature with the `standardwebhooks` library."""

import json
import os
import signal
import time

import pytest

from lib import breaker
from scripts.stack import kill
from tests.webhooks.receiver import Receiver

from .conftest import in_parallel, many_addresses, take, wait_until


def add_endpoint(stack, token, url):
    """An endpoint on the survey behind `token`, through the service; its (id, secret)."""
    done = stack.manage(
        "shell",
        "-c",
        "from integrations import services; from surveys.models import Survey; "
        f"e = services.add_endpoint(survey=Survey.objects.get(public_token={token!r}), "
        f"url={url!r}, events=['response.submitted']); print(e.pk, e.secret)",
    )
    # The last line: the stack logs to standard output too.
    pk, secret = done.stdout.strip().splitlines()[-1].split()
    return int(pk), secret


@pytest.fixture
def listening(stack, demo_token, sql):
    """A receiver and the endpoint sending it the demo survey's responses; the endpoint is
    deleted afterwards, so other tests' submissions write no events."""
    receivers = []

    def listen(script):
        receiver = Receiver(script=script).__enter__()
        pk, receiver.secret = add_endpoint(stack, demo_token, receiver.url)
        receivers.append((receiver, pk))
        return receiver, pk

    yield listen
    for receiver, pk in receivers:
        stack.manage(
            "shell",
            "-c",
            "from integrations import services; from integrations.models import "
            f"WebhookEndpoint as W; services.delete_endpoint(endpoint=W.objects.get(pk={pk}))",
        )
        receiver.__exit__(None, None, None)


def test_500_timeout_reset_then_200_is_one_delivery_per_event(stack, demo_token, sql, listening):
    receiver, endpoint = listening([500, "timeout", "reset", 200])
    statuses = [take(stack, demo_token, source=many_addresses())[0] for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert wait_until(lambda: len(receiver.delivered()) >= 3, seconds=60), receiver.requests
    time.sleep(3)  # a sweep or two more: nothing else arrives
    delivered = receiver.delivered()
    assert len(delivered) == len(set(delivered)) == 3
    assert all(request["verified"] for request in receiver.requests)
    assert len(receiver.requests) == 12  # four tries of each of the three events
    logs = sql(
        "SELECT d.id, array_agg(a.outcome ORDER BY a.attempted_at, a.id) FROM"
        " integrations_delivery d JOIN integrations_attempt a ON a.delivery_id = d.id"
        " WHERE d.endpoint_id = %s GROUP BY d.id",
        endpoint,
    )
    assert [outcomes for _, outcomes in logs] == [["status", "timeout", "reset", "success"]] * 3
    assert sql(
        "SELECT DISTINCT status FROM integrations_delivery WHERE endpoint_id = %s", endpoint
    ) == [("succeeded",)]


def test_a_thousand_submissions_arrive_once_each_though_the_worker_is_killed(
    stack, demo_token, sql, listening
):
    receiver, endpoint = listening([200])
    before = sql("SELECT coalesce(max(id), 0) FROM surveys_submission")[0][0]
    killed = []

    def kill_the_worker_mid_batch():
        if not killed and len(receiver.requests) >= 150:
            killed.append(len(receiver.requests))
            kill(stack.worker)  # with whatever attempts it had in hand

    def taker():
        kill_the_worker_mid_batch()
        return take(stack, demo_token, source=many_addresses())[0]

    statuses = in_parallel(1000, taker)
    assert statuses.count(200) == 1000
    if not killed:  # the worker kept up with the takers: kill it with the queue full
        kill(stack.worker)
        killed.append(len(receiver.requests))
    time.sleep(2)
    stack.start_worker()
    try:
        submissions = {
            pk for (pk,) in sql("SELECT id FROM surveys_submission WHERE id > %s", before)
        }
        assert len(submissions) == 1000

        def arrived():
            return {r["payload"]["data"]["id"] for r in receiver.requests} >= submissions

        assert wait_until(arrived, seconds=180), (
            f"{len(submissions - {r['payload']['data']['id'] for r in receiver.requests})}"
            " never arrived"
        )
        events = dict(
            sql(
                "SELECT e.event_id, e.payload FROM surveys_event e JOIN integrations_delivery d"
                " ON d.event_id = e.id WHERE d.endpoint_id = %s",
                endpoint,
            )
        )
        assert len(events) == 1000
        assert all(request["verified"] for request in receiver.requests)
        # At least once: a duplicate is the same event, with the same webhook-id and body.
        for request in receiver.requests:
            sent = events[request["id"]]
            assert request["payload"]["data"]["id"] == sent["data"]["id"]
        ids = [request["id"] for request in receiver.requests]
        assert set(ids) == set(events)
        print(f"killed after {killed[0]} requests; {len(ids) - len(set(ids))} duplicates")
    finally:
        stack.wait_for_heartbeat()


def test_a_slow_endpoint_does_not_delay_another(stack, demo_token, sql, listening):
    """One endpoint answers in 1.5 s (within the 2 s deadline), the other at once. While
    the slow one works through its backlog, each of the fast one's deliveries arrives as
    soon as it would alone: the dispatch waits 2 s to gather its second's events, then
    sends them."""
    slow, slow_endpoint = listening([("sleep", 1.5)])
    fast, _ = listening([200])
    statuses = in_parallel(80, lambda: take(stack, demo_token, source=many_addresses())[0])
    assert statuses == [200] * 80
    assert wait_until(lambda: len(fast.requests) >= 80, seconds=180), len(fast.requests)
    waiting = sql(
        "SELECT count(*) FROM integrations_delivery WHERE endpoint_id = %s AND status = 'pending'",
        slow_endpoint,
    )[0][0]
    created = dict(
        sql(
            "SELECT event_id, extract(epoch FROM created_at)::float FROM surveys_event"
            " WHERE event_id = ANY(%s)",
            [request["id"] for request in fast.requests],
        )
    )
    latencies = sorted(request["at"] - created[request["id"]] for request in fast.requests)
    print(
        f"fast endpoint: {len(latencies)} deliveries, median {latencies[len(latencies) // 2]:.1f}"
        f" s, max {latencies[-1]:.1f} s after the event; slow one: {len(slow.requests)}"
        f" received, {waiting} waiting"
    )
    assert waiting > 0  # the slow endpoint was still busy with its backlog
    # Before: a median of 2.7-5.4 s and a maximum of 5.2-9.3 s, behind the slow batches.
    assert latencies[len(latencies) // 2] < 2 and latencies[-1] < 5


def test_a_frozen_redis_costs_takers_one_short_timeout(stack, demo_token, sql, listening, browser):
    """Redis stopped with SIGSTOP (connections accepted, nothing answered), takers through
    NGINX with a webhook endpoint listening: every call to Redis waits a fraction of a
    second at most, and once per process every few seconds (lib/breaker.py). A fault run
    saw POSTs of 31 s and 0.2 submissions a second before."""
    receiver, _ = listening([200])
    before = sql("SELECT coalesce(max(id), 0) FROM surveys_submission")[0][0]

    def timed_take():
        started = time.monotonic()
        status = take(stack, demo_token, source=many_addresses())[0]
        return status, time.monotonic() - started

    def rate(count=48):
        started = time.monotonic()
        results = in_parallel(count, timed_take, threads=4)
        return results, count / (time.monotonic() - started)

    normal, normal_rate = rate()
    os.kill(stack.redis.process.pid, signal.SIGSTOP)
    try:
        frozen, frozen_rate = rate()
        started = time.monotonic()
        health = browser.get("/health/")
        health_seconds = time.monotonic() - started
    finally:
        os.kill(stack.redis.process.pid, signal.SIGCONT)
    assert [status for status, _ in normal + frozen] == [200] * 96
    slowest = max(seconds for _, seconds in frozen)
    assert slowest < 2, slowest  # a GET and a POST
    assert frozen_rate > normal_rate / 2, (normal_rate, frozen_rate)
    body = json.loads(health.body)
    assert health.status == 200 and body["status"] == "degraded", body
    assert {"cache", "broker"} <= set(body["failing"]) and health_seconds < 2
    # Nothing lost: the outbox's sweep sends what no message announced.
    stored = sql("SELECT count(*) FROM surveys_submission WHERE id > %s", before)[0][0]
    assert stored == 96
    assert wait_until(lambda: len(set(receiver.delivered())) >= 96, seconds=120)
    time.sleep(breaker.OPEN_SECONDS)  # every node's breakers closed again, for the next test
