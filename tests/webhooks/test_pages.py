"""The creator's pages: a survey's webhooks and notifications, an endpoint's delivery log
with its filters and replays. Every URL is the owner's alone (bob gets a 404)."""

import uuid

import pytest
from django.urls import get_resolver, resolve, reverse

from integrations import views
from integrations.models import Delivery, EmailNotification, WebhookEndpoint
from surveys import responses
from surveys.answers import clean_answers
from tests.creator.test_authorization import urls_of_objects

from .conftest import deliver_everything, listen
from .receiver import Receiver


def respond(survey):
    responses.submit_response(
        survey=survey,
        token=uuid.uuid4().hex,
        answers=clean_answers(
            survey, {q.pk: q.options.first().pk for q in survey.questions.all()}
        ),
    )


def test_adding_a_webhook_shows_its_secret_once(alice_client, active_survey, receiver):
    page = alice_client.get(reverse("integrations:survey", args=[active_survey.pk]))
    assert page.status_code == 200 and b"No webhooks yet." in page.content
    added = alice_client.post(
        reverse("integrations:endpoint_create", args=[active_survey.pk]),
        {"url": receiver.url, "description": "CRM", "events": ["response.submitted"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert added.status_code == 302 and added["Location"] == endpoint.get_absolute_url()
    # The secret doesn't wait in the session for the page: the page reads it, once.
    assert endpoint.secret not in str(dict(alice_client.session.items()))
    shown = alice_client.get(endpoint.get_absolute_url())
    assert endpoint.secret.encode() in shown.content
    assert "no-store" in shown["Cache-Control"] and "private" in shown["Cache-Control"]
    again = alice_client.get(endpoint.get_absolute_url())
    assert endpoint.secret.encode() not in again.content
    assert "no-store" in again["Cache-Control"]
    listed = alice_client.get(reverse("integrations:survey", args=[active_survey.pk]))
    assert receiver.url.encode() in listed.content


def test_a_new_secret_not_viewed_soon_is_not_shown(alice_client, endpoint):
    """A rotation whose page wasn't opened within SECRET_SHOWN_WITHIN: a later visit (from
    the same session) doesn't show the secret."""
    alice_client.post(reverse("integrations:endpoint_rotate", args=[endpoint.pk]))
    session = alice_client.session
    key = views.SECRET_KEY.format(endpoint.pk)
    session[key] -= views.SECRET_SHOWN_WITHIN + 1  # made that long ago
    session.save()
    endpoint.refresh_from_db()
    page = alice_client.get(endpoint.get_absolute_url())
    assert page.status_code == 200 and endpoint.secret.encode() not in page.content
    assert key not in alice_client.session


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"url": "http://10.0.0.1/", "events": ["response.submitted"]}, "url", "private"),
        ({"url": "not a url", "events": ["response.submitted"]}, "url", "valid URL"),
        # Names are resolved when added: refused for what they resolve to.
        (
            {"url": "http://localhost:9/", "events": ["response.submitted"]},
            "url",
            "is a loopback address (localhost resolves to it)",
        ),
        (
            {"url": "https://no-such-host.invalid/", "events": ["response.submitted"]},
            "url",
            "no-such-host.invalid could not be resolved",
        ),
        ({"url": "https://example.com/", "events": []}, "events", "required"),
        ({"url": "https://example.com/", "events": ["survey.deleted"]}, "events", "valid"),
    ],
)
def test_a_bad_webhook_is_refused_with_a_message_and_nothing_stored(
    alice_client, active_survey, settings, data, field, message
):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    response = alice_client.post(
        reverse("integrations:endpoint_create", args=[active_survey.pk]), data
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["endpoint_form"].errors[field])
    assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_each_attempt_escaped_with_filters_and_replays(alice_client, active_survey):
    with Receiver(script=[413, 200]) as receiver:
        endpoint = listen(active_survey, receiver)
        respond(active_survey)
        deliver_everything()
        page = alice_client.get(endpoint.get_absolute_url())
        html = page.content.decode()
        assert "Answered with an error status (413)" in html
        assert "client_max_body_size" in html  # the hint
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
        delivery = Delivery.objects.get()
        replay = alice_client.post(reverse("integrations:delivery_replay", args=[delivery.pk]))
        assert replay.status_code == 302
        deliver_everything()
        delivery.refresh_from_db()
        assert delivery.status == "succeeded"
        everything = alice_client.get(endpoint.get_absolute_url()).content.decode()
        failures = alice_client.get(endpoint.get_absolute_url() + "?failed=1").content.decode()
        assert everything.count('class="attempt ') == 2
        assert failures.count('class="attempt ') == 1 and "(413)" in failures


def test_pause_resume_rotate_test_and_delete(alice_client, endpoint, receiver):
    url = endpoint.get_absolute_url()
    alice_client.post(reverse("integrations:endpoint_pause", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.paused_reason == "Paused by you."
    assert b"Resume" in alice_client.get(url).content
    alice_client.post(reverse("integrations:endpoint_pause", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.active
    old = endpoint.secret
    rotated = alice_client.post(
        reverse("integrations:endpoint_rotate", args=[endpoint.pk]), follow=True
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.encode() in rotated.content
    alice_client.post(reverse("integrations:endpoint_test", args=[endpoint.pk]))
    receiver.secret = endpoint.secret
    deliver_everything()
    assert receiver.requests[-1]["payload"]["type"] == "webhook.test"
    confirm = alice_client.get(reverse("integrations:endpoint_delete", args=[endpoint.pk]))
    assert confirm.status_code == 200 and endpoint.url.encode() in confirm.content
    alice_client.post(reverse("integrations:endpoint_delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


def test_saving_notifications(alice_client, active_survey):
    response = alice_client.post(
        reverse("integrations:notifications", args=[active_survey.pk]),
        {"each_response": "on", "include_answers": "on"},
    )
    assert response.status_code == 302
    notification = EmailNotification.objects.get()
    assert notification.each_response and notification.include_answers
    assert not notification.daily_digest
    active_survey.refresh_from_db()
    assert active_survey.sends_events


def _owner_only_urls(survey, endpoint, delivery):
    return [
        ("get", reverse("integrations:survey", args=[survey.pk])),
        ("post", reverse("integrations:endpoint_create", args=[survey.pk])),
        ("post", reverse("integrations:notifications", args=[survey.pk])),
        ("get", reverse("integrations:endpoint", args=[endpoint.pk])),
        ("post", reverse("integrations:endpoint_update", args=[endpoint.pk])),
        ("post", reverse("integrations:endpoint_pause", args=[endpoint.pk])),
        ("post", reverse("integrations:endpoint_rotate", args=[endpoint.pk])),
        ("post", reverse("integrations:endpoint_test", args=[endpoint.pk])),
        ("post", reverse("integrations:endpoint_replay_failed", args=[endpoint.pk])),
        ("get", reverse("integrations:endpoint_delete", args=[endpoint.pk])),
        ("post", reverse("integrations:endpoint_delete", args=[endpoint.pk])),
        ("post", reverse("integrations:delivery_replay", args=[delivery.pk])),
    ]


def test_every_page_is_the_owners_alone(bob_client, client, endpoint, active_survey):
    respond(active_survey)
    deliver_everything()
    delivery = Delivery.objects.get()
    before = (
        WebhookEndpoint.objects.values_list("secret", "active", "url").get(),
        Delivery.objects.values_list("status", "attempts").get(),
    )
    urls = _owner_only_urls(active_survey, endpoint, delivery)
    # Every integrations URL of an object is here (tests/creator/test_authorization.py).
    routed = urls_of_objects(get_resolver().url_patterns)
    routed = {name for name in routed if name.startswith("integrations:")}
    assert {resolve(url).view_name for _, url in urls} == routed
    for method, url in urls:
        data = {"url": "https://example.com/", "events": ["survey.closed"]}
        answered = getattr(bob_client, method)(url, data if method == "post" else None)
        assert answered.status_code == 404, url
        anonymous = getattr(client, method)(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert before == (
        WebhookEndpoint.objects.values_list("secret", "active", "url").get(),
        Delivery.objects.values_list("status", "attempts").get(),
    )
    assert not EmailNotification.objects.exists()


def test_actions_take_post_only(alice_client, endpoint):
    for name in ("endpoint_pause", "endpoint_rotate", "endpoint_test", "endpoint_update"):
        assert (
            alice_client.get(reverse(f"integrations:{name}", args=[endpoint.pk])).status_code
            == 405
        )
