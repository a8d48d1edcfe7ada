"""Every creator endpoint, for someone who is not the alice: a 404, nothing changed."""

import pytest
from rest_framework.test import APIClient

from dbtools.factories import build_survey
from tests.helpers import database_state

pytestmark = pytest.mark.django_db


def creator_requests(survey):
    question = survey.questions.first()
    option = question.options.first()
    return [
        ("get", "/api/v1/surveys/", None),
        ("post", "/api/v1/surveys/", {"title": "X"}),
        ("get", f"/api/v1/surveys/{survey.pk}/", None),
        ("patch", f"/api/v1/surveys/{survey.pk}/", {"title": "X"}),
        ("delete", f"/api/v1/surveys/{survey.pk}/", None),
        ("post", f"/api/v1/surveys/{survey.pk}/questions/", {"prompt": "X"}),
        ("post", f"/api/v1/surveys/{survey.pk}/publish/", None),
        ("post", f"/api/v1/surveys/{survey.pk}/close/", None),
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
    ]


@pytest.mark.parametrize("status", ["draft", "active"])
def test_authorization_matrix(alice, bob_api, status):
    survey = build_survey(owner=alice, status=status)
    before = database_state()
    for method, path, data in creator_requests(survey):
        anonymous = getattr(APIClient(), method)(path, data, format="json")
        assert anonymous.status_code == 401, (method, path)
        if path == "/api/v1/surveys/":
            continue  # a list or a create of one's own: nothing of the owner's is touched
        other = getattr(bob_api, method)(path, data, format="json")
        assert other.status_code == 404, (method, path)
    assert database_state() == before


@pytest.mark.parametrize("pk", ["0", "987654", str(2**63), str(10**30)])
def test_unknown_and_huge_ids_are_404(alice_api, pk):
    for path in (f"/api/v1/surveys/{pk}/", f"/api/v1/questions/{pk}/", f"/api/v1/options/{pk}/"):
        assert alice_api.get(path).status_code == 404


def test_session_authentication_needs_csrf(alice, active_survey):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(f"/api/v1/surveys/{active_survey.pk}/results/").status_code == 200
    assert client.post("/api/v1/surveys/", {"title": "X"}, format="json").status_code == 403
