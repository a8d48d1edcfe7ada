"""Every API error is JSON of one shape ({"detail": ...} or field → messages), whatever
went wrong and wherever: bodies over the limit, nesting hundreds deep, unknown URLs, a
crash. Nothing is stored."""

import json

import pytest
from django.test import Client

from surveys.models import Submission, Survey
from tests.helpers import api_client, database_state

pytestmark = pytest.mark.django_db


def submit_url(survey):
    return f"/api/v1/public/surveys/{survey.public_token}/responses/"


def post_raw(client, url, body, **headers):
    return client.post(url, body, content_type="application/json", **headers)


def assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict) and body
    return body


@pytest.mark.parametrize("depth", [21, 470, 5000])
def test_deeply_nested_json_is_a_400(active_survey, depth):
    body = "[" * depth + "]" * depth
    before = database_state()
    response = post_raw(Client(), submit_url(active_survey), body, HTTP_IDEMPOTENCY_KEY="a")
    assert "nested more than 20 levels" in assert_json_error(response, 400)["detail"]
    assert database_state() == before


def test_nesting_inside_an_answer_is_a_400(alice, draft_survey):
    value = {"text": "x"}
    for _ in range(600):
        value = {"nested": value}
    response = api_client(alice).post("/api/v1/surveys/", {"title": value}, format="json")
    assert_json_error(response, 400)
    assert Survey.objects.count() == 1


@pytest.mark.parametrize("authenticated", [False, True])
def test_body_over_the_limit_is_a_json_413(alice, active_survey, settings, authenticated):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"answers": [{"questionId": 1, "text": "x" * 20_000}]})
    client = api_client(alice) if authenticated else Client()
    url = "/api/v1/surveys/" if authenticated else submit_url(active_survey)
    response = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="b")
    assert assert_json_error(response, 413) == {
        "detail": "The request body is larger than the limit of 10000 bytes."
    }
    assert Submission.objects.count() == 0 and Survey.objects.count() == 1


def test_malformed_json_is_a_400(active_survey):
    response = post_raw(Client(), submit_url(active_survey), b"{nope", HTTP_IDEMPOTENCY_KEY="c")
    assert assert_json_error(response, 400)["detail"].startswith("JSON parse error")


def test_invalid_utf8_is_a_400(active_survey):
    response = post_raw(Client(), submit_url(active_survey), b'{"a": "\xff"}')
    assert_json_error(response, 400)


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/surveys/abc/", "/api/v2/"])
def test_unknown_api_urls_are_json_404(alice, path):
    assert assert_json_error(api_client(alice).get(path), 404) == {"detail": "Not found."}


def test_other_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_in_the_api_is_a_json_500(alice, monkeypatch):
    from api import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.SurveyViewSet, "list", broken)
    client = api_client(alice)
    client.raise_request_exception = False
    response = client.get("/api/v1/surveys/")
    assert assert_json_error(response, 500) == {
        "detail": "Something went wrong on our side; it has been logged."
    }
