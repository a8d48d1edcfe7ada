"""Every creator endpoint, for someone who is not the alice: a 404, nothing changed."""

import pytest
from rest_framework.test import APIClient

from dbtools.factories import build_survey
from integrations.models import Delivery, EmailNotification, WebhookEndpoint
from integrations.services import send_test_event
from surveys.models import Export
from tests.helpers import database_state

pytestmark = pytest.mark.django_db


def creator_requests(survey):
    question = survey.questions.first()
    option = question.options.first()
    endpoint = WebhookEndpoint.objects.create(
        survey=survey, url="https://example.com/hooks", events=["survey.closed"]
    )
    delivery = send_test_event(endpoint=endpoint)
    export = Export.objects.create(survey=survey, format="csv")
    webhook = f"/api/v1/webhooks/{endpoint.pk}/"
    return [
        ("get", "/api/v1/surveys/", None),
        ("post", "/api/v1/surveys/", {"title": "X"}),
        ("get", f"/api/v1/surveys/{survey.pk}/", None),
        ("patch", f"/api/v1/surveys/{survey.pk}/", {"title": "X"}),
        ("delete", f"/api/v1/surveys/{survey.pk}/", None),
        ("post", f"/api/v1/surveys/{survey.pk}/questions/", {"prompt": "X"}),
        ("post", f"/api/v1/surveys/{survey.pk}/start/", None),
        ("post", f"/api/v1/surveys/{survey.pk}/publish/", None),
        ("post", f"/api/v1/surveys/{survey.pk}/close/", None),
        ("post", f"/api/v1/surveys/{survey.pk}/reopen/", None),
        ("get", f"/api/v1/surveys/{survey.pk}/exports/", None),
        ("post", f"/api/v1/surveys/{survey.pk}/exports/", {"format": "csv"}),
        ("get", f"/api/v1/exports/{export.pk}/", None),
        ("get", f"/api/v1/exports/{export.pk}/download/", None),
        ("post", f"/api/v1/surveys/{survey.pk}/new-version/", None),
        ("get", f"/api/v1/surveys/{survey.pk}/results/", None),
        ("get", f"/api/v1/surveys/{survey.pk}/responses/", None),
        ("get", f"/api/v1/questions/{question.pk}/", None),
        ("patch", f"/api/v1/questions/{question.pk}/", {"prompt": "X"}),
        ("delete", f"/api/v1/questions/{question.pk}/", None),
        ("post", f"/api/v1/questions/{question.pk}/options/", {"text": "X"}),
        ("get", f"/api/v1/options/{option.pk}/", None),
        ("patch", f"/api/v1/options/{option.pk}/", {"text": "X"}),
        ("delete", f"/api/v1/options/{option.pk}/", None),
        ("get", f"/api/v1/surveys/{survey.pk}/webhooks/", None),
        ("post", f"/api/v1/surveys/{survey.pk}/webhooks/", {"url": "https://example.com/"}),
        ("get", f"/api/v1/surveys/{survey.pk}/notifications/", None),
        ("put", f"/api/v1/surveys/{survey.pk}/notifications/", {"dailyDigest": True}),
        ("get", webhook, None),
        ("patch", webhook, {"active": False}),
        ("delete", webhook, None),
        ("post", f"{webhook}rotate-secret/", None),
        ("post", f"{webhook}test/", None),
        ("post", f"{webhook}replay-failed/", None),
        ("get", f"{webhook}attempts/", None),
        ("get", f"/api/v1/deliveries/{delivery}/", None),
        ("post", f"/api/v1/deliveries/{delivery}/replay/", None),
    ]


def everything():
    """database_state(), and what integrations keep."""
    return {
        **database_state(),
        "endpoints": list(WebhookEndpoint.objects.values_list("pk", "secret", "active", "url")),
        "deliveries": list(Delivery.objects.values_list("pk", "status", "attempts")),
        "notifications": EmailNotification.objects.count(),
        "exports": list(Export.objects.values_list("pk", "status")),
    }


@pytest.mark.parametrize("status", ["draft", "active"])
def test_authorization_matrix(alice, bob_api, status):
    survey = build_survey(owner=alice, status=status)
    requests = creator_requests(survey)
    before = everything()
    for method, path, data in requests:
        anonymous = getattr(APIClient(), method)(path, data, format="json")
        assert anonymous.status_code == 401, (method, path)
        if path == "/api/v1/surveys/":
            continue  # a list or a create of one's own: nothing of the owner's is touched
        other = getattr(bob_api, method)(path, data, format="json")
        assert other.status_code == 404, (method, path)
        assert other.json() == {"detail": "Not found."}  # never names what it looked for
    assert everything() == before


@pytest.mark.parametrize("pk", ["0", "987654", str(2**63), str(10**30)])
def test_unknown_and_huge_ids_are_404(alice_api, pk):
    for kind in ("surveys", "questions", "options", "exports", "webhooks", "deliveries"):
        assert alice_api.get(f"/api/v1/{kind}/{pk}/").status_code == 404
    for part in ("webhooks", "notifications"):
        assert alice_api.get(f"/api/v1/surveys/{pk}/{part}/").status_code == 404


def test_session_authentication_needs_csrf(alice, active_survey):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(f"/api/v1/surveys/{active_survey.pk}/results/").status_code == 200
    assert client.post("/api/v1/surveys/", {"title": "X"}, format="json").status_code == 403
