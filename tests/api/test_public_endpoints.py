"""The takers' API: a survey's structure, submissions exactly once, throttles."""

import pytest
from rest_framework.test import APIClient

from dbtools.factories import build_survey
from surveys.models import Submission
from tests.helpers import api_answers, api_client, api_submit

pytestmark = pytest.mark.django_db


def test_public_survey_structure(active_survey, draft_survey, closed_survey):
    body = APIClient().get(f"/api/v1/public/surveys/{active_survey.public_token}/").json()
    assert body["title"] == active_survey.title
    assert [q["prompt"] for q in body["questions"]] == list(
        active_survey.questions.values_list("prompt", flat=True)
    )
    assert set(body["questions"][0]["options"][0]) == {"id", "text"}
    assert (
        APIClient().get(f"/api/v1/public/surveys/{draft_survey.public_token}/").status_code == 404
    )
    assert (
        APIClient().get(f"/api/v1/public/surveys/{closed_survey.public_token}/").status_code == 410
    )


def test_submissions_are_validated_by_the_same_rules(active_survey, alice):
    other = build_survey(owner=alice, status="active")
    good = api_answers(active_survey)
    cases = {
        "missing": good[:1],
        "foreign option": [
            good[0],
            {"questionId": good[1]["questionId"], "optionId": api_answers(other)[0]["optionId"]},
        ],
        "twice": [good[0], good[0]],
        "empty": [],
        "not numbers": [{"questionId": "a", "optionId": "b"}],
        "huge": [{"questionId": 10**30, "optionId": 1}],
    }
    for name, answers in cases.items():
        response = api_submit(APIClient(), active_survey, answers, key=name.replace(" ", "-"))
        assert response.status_code == 400, name
        assert "answers" in response.json(), name
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("key", [None, "", "has spaces", "x" * 61])
def test_idempotency_key_is_required(active_survey, key):
    client = APIClient()
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    response = client.post(
        f"/api/v1/public/surveys/{active_survey.public_token}/responses/",
        {"answers": api_answers(active_survey)},
        format="json",
        **headers,
    )
    assert response.status_code == 400 and "idempotencyKey" in response.json()
    assert Submission.objects.count() == 0


def test_same_idempotency_key_twice_stores_once(active_survey):
    first = api_submit(APIClient(), active_survey, api_answers(active_survey, 0), key="retry-me")
    again = api_submit(APIClient(), active_survey, api_answers(active_survey, 1), key="retry-me")
    assert (first.status_code, again.status_code) == (201, 200)
    # The same result, but the receipt only in the first (it is not stored to repeat).
    no_receipt = {"receiptCode": None, "receiptUrl": None}
    assert {**first.json(), **no_receipt} == again.json()
    assert first.json()["receiptUrl"] and first.json()["receiptCode"]
    assert Submission.objects.count() == 1
    stored = set(Submission.objects.get().answers.values_list("option_id", flat=True))
    assert stored == {a["optionId"] for a in api_answers(active_survey, 0)}


def test_anonymous_clients_are_throttled_by_their_real_address(active_survey, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "5/minute"}
    )
    path = f"/api/v1/public/surveys/{active_survey.public_token}/"
    # Through the local proxy, which appends the address it saw after whatever the client
    # claimed: rotating the claim changes nothing.
    statuses = [
        APIClient(HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7").get(path).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert APIClient(HTTP_X_FORWARDED_FOR="198.51.100.8").get(path).status_code == 200
    cache.clear()


@pytest.mark.parametrize(("who", "rate"), [("anonymous", 300), ("creator", 1200)])
def test_throttles_hold_at_their_configured_rates(alice, active_survey, who, rate):
    # The cheapest request of each: an unknown survey (404) counts like any other.
    client = api_client(alice) if who == "creator" else APIClient()
    path = "/api/v1/surveys/987654/" if who == "creator" else "/api/v1/public/surveys/nope/"
    statuses = [client.get(path).status_code for _ in range(rate + 1)]
    assert statuses == [404] * rate + [429]
