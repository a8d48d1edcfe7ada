"""The same webhooks and notifications through the API: JSON in camelCase, the secret in
the creating (or rotating) answer only, the delivery log, replays; 404 for what isn't
yours; a clear JSON 400 for what the page would refuse."""

import uuid

import pytest

from integrations.models import Delivery, EmailNotification, WebhookEndpoint
from surveys import responses
from surveys.answers import clean_answers

from .conftest import deliver_everything
from .receiver import Receiver


def respond(survey):
    responses.submit_response(
        survey=survey,
        token=uuid.uuid4().hex,
        answers=clean_answers(
            survey, {q.pk: q.options.first().pk for q in survey.questions.all()}
        ),
    )


def test_a_webhook_through_the_api_from_creation_to_the_log(alice_api, active_survey):
    with Receiver(script=[500, 200]) as receiver:
        created = alice_api.post(
            f"/api/v1/surveys/{active_survey.pk}/webhooks/",
            {"url": receiver.url, "events": ["response.submitted"], "description": "CRM"},
            format="json",
        )
        assert created.status_code == 201, created.json()
        body = created.json()
        assert body["secret"].startswith("whsec_") and body["active"] is True
        assert created["Cache-Control"] == "no-store"  # it holds the secret
        assert body["events"] == ["response.submitted"] and body["survey"] == active_survey.pk
        receiver.secret = body["secret"]
        webhook = f"/api/v1/webhooks/{body['id']}/"
        shown = alice_api.get(webhook).json()
        assert "secret" not in shown and shown["pausedReason"] == ""
        listed = alice_api.get(f"/api/v1/surveys/{active_survey.pk}/webhooks/").json()
        assert [w["id"] for w in listed["results"]] == [body["id"]]

        active_survey.refresh_from_db()  # it sends events now
        respond(active_survey)
        deliver_everything()
        deliver_everything(retry_now=True)
        log = alice_api.get(webhook + "attempts/").json()["results"]
        assert [(a["outcome"], a["statusCode"]) for a in log] == [
            ("success", 200),
            ("status", 500),
        ]
        assert log[1]["responseExcerpt"].startswith("status 500")
        failed = alice_api.get(webhook + "attempts/?failed=true").json()["results"]
        assert [a["statusCode"] for a in failed] == [500]
        assert alice_api.get(webhook + "attempts/?failed=maybe").status_code == 400

        delivery = alice_api.get(f"/api/v1/deliveries/{log[0]['delivery']}/").json()
        assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
        assert delivery["payload"]["data"]["answers"][0].keys() >= {"questionId", "optionId"}
        assert delivery["eventId"] == receiver.requests[0]["id"]
        replayed = alice_api.post(f"/api/v1/deliveries/{delivery['id']}/replay/")
        assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
        deliver_everything()
        assert len(receiver.delivered()) == 2

        test = alice_api.post(webhook + "test/")
        assert test.status_code == 202
        deliver_everything()
        assert receiver.requests[-1]["payload"]["type"] == "webhook.test"
        assert receiver.requests[-1]["verified"]


def test_pause_rotate_replay_failed_and_delete(alice_api, endpoint, settings):
    webhook = f"/api/v1/webhooks/{endpoint.pk}/"
    paused = alice_api.patch(webhook, {"active": False}, format="json").json()
    assert paused["active"] is False and paused["pausedReason"] == "Paused by you."
    rotation = alice_api.post(webhook + "rotate-secret/")
    rotated = rotation.json()
    assert rotated["secret"] != endpoint.secret and rotation["Cache-Control"] == "no-store"
    alice_api.patch(webhook, {"active": True}, format="json")
    settings.WEBHOOK_RETRY_SCHEDULE = []
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:9/")
    respond(endpoint.survey)
    deliver_everything()
    assert Delivery.objects.get().status == "failed"
    again = alice_api.post(webhook + "replay-failed/")
    assert again.status_code == 202 and again.json() == {"replayed": [Delivery.objects.get().pk]}
    assert Delivery.objects.get().status == "pending"
    assert alice_api.delete(webhook).status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"url": "http://10.0.0.1/", "events": ["response.submitted"]}, "url"),
        ({"url": "ftp://example.com/", "events": ["response.submitted"]}, "url"),
        ({"url": "http://localhost:9/", "events": ["response.submitted"]}, "url"),
        ({"url": "https://no-such-host.invalid/", "events": ["response.submitted"]}, "url"),
        ({"url": "https://example.com/", "events": []}, "events"),
        ({"url": "https://example.com/", "events": ["survey.deleted"]}, "events"),
        ({"url": "https://example.com/", "events": "response.submitted"}, "events"),
        ({"events": ["response.submitted"]}, "url"),
    ],
)
def test_a_bad_webhook_is_a_json_400_and_nothing_stored(
    alice_api, active_survey, settings, data, field
):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    response = alice_api.post(f"/api/v1/surveys/{active_survey.pk}/webhooks/", data, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not WebhookEndpoint.objects.exists()


def test_more_than_ten_webhooks_is_refused(alice_api, active_survey):
    for n in range(10):
        WebhookEndpoint.objects.create(
            survey=active_survey, url=f"https://example.com/{n}", events=["survey.closed"]
        )
    response = alice_api.post(
        f"/api/v1/surveys/{active_survey.pk}/webhooks/",
        {"url": "https://example.com/11", "events": ["survey.closed"]},
        format="json",
    )
    assert response.status_code == 400 and "at most 10" in response.json()["detail"]


def test_notifications_through_the_api(alice_api, active_survey):
    url = f"/api/v1/surveys/{active_survey.pk}/notifications/"
    assert alice_api.get(url).json() == {
        "eachResponse": False,
        "dailyDigest": False,
        "includeAnswers": False,
    }
    changed = alice_api.patch(url, {"dailyDigest": True}, format="json")
    assert changed.status_code == 200 and changed.json()["dailyDigest"] is True
    assert EmailNotification.objects.get().daily_digest
    assert alice_api.put(url, {"eachResponse": "yes please"}, format="json").status_code == 400


def test_another_creators_webhooks_are_404_and_unchanged(bob_api, endpoint, active_survey):
    respond(active_survey)
    deliver_everything()
    delivery = Delivery.objects.get()
    requests = [
        ("get", f"/api/v1/surveys/{active_survey.pk}/webhooks/"),
        ("post", f"/api/v1/surveys/{active_survey.pk}/webhooks/"),
        ("get", f"/api/v1/surveys/{active_survey.pk}/notifications/"),
        ("patch", f"/api/v1/surveys/{active_survey.pk}/notifications/"),
        ("get", f"/api/v1/webhooks/{endpoint.pk}/"),
        ("patch", f"/api/v1/webhooks/{endpoint.pk}/"),
        ("delete", f"/api/v1/webhooks/{endpoint.pk}/"),
        ("post", f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/"),
        ("post", f"/api/v1/webhooks/{endpoint.pk}/test/"),
        ("post", f"/api/v1/webhooks/{endpoint.pk}/replay-failed/"),
        ("get", f"/api/v1/webhooks/{endpoint.pk}/attempts/"),
        ("get", f"/api/v1/deliveries/{delivery.pk}/"),
        ("post", f"/api/v1/deliveries/{delivery.pk}/replay/"),
    ]
    before = WebhookEndpoint.objects.values_list("secret", "active", "url").get()
    for method, url in requests:
        data = {"url": "https://example.com/", "events": ["survey.closed"], "active": False}
        response = getattr(bob_api, method)(url, data, format="json")
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found."}
    assert before == WebhookEndpoint.objects.values_list("secret", "active", "url").get()
    assert Delivery.objects.get().attempts == 1 and not EmailNotification.objects.exists()
