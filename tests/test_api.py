"""REST API: every endpoint's happy path, validation, authorization and camelCase keys."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dbtools.factories import add_submissions, build_survey
from surveys.models import Option, Question, Submission, Survey

from .helpers import database_state

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
    return client


@pytest.fixture
def owner_api(owner):
    return api(owner)


@pytest.fixture
def outsider_api(outsider):
    return api(outsider)


def submit(client, survey, answers, key="k1"):
    return client.post(
        f"/api/v1/public/surveys/{survey.public_token}/responses/",
        {"answers": answers},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def answers_for(survey, pick=0):
    return [
        {"questionId": q.pk, "optionId": list(q.options.all())[pick].pk}
        for q in survey.questions.prefetch_related("options")
    ]


def test_creator_builds_publishes_and_reads_results(owner_api):
    created = owner_api.post("/api/v1/surveys/", {"title": "Lunch"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["title"] == "Lunch" and body["status"] == "draft" and body["submissions"] == 0
    assert body["publicUrl"].startswith("http://testserver/s/")
    assert "createdAt" in body and "created_at" not in body
    survey_id = body["id"]

    for prompt, texts in [("Pizza or pasta?", ["Pizza", "Pasta"]), ("Dessert?", ["Yes", "No"])]:
        question = owner_api.post(
            f"/api/v1/surveys/{survey_id}/questions/", {"prompt": prompt}, format="json"
        )
        assert question.status_code == 201
        for text in texts:
            option = owner_api.post(
                f"/api/v1/questions/{question.json()['id']}/options/",
                {"text": text},
                format="json",
            )
            assert option.status_code == 201 and option.json()["text"] == text

    published = owner_api.post(f"/api/v1/surveys/{survey_id}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "active"
    survey = Survey.objects.get(pk=survey_id)

    assert submit(APIClient(), survey, answers_for(survey, 1)).status_code == 201
    results = owner_api.get(f"/api/v1/surveys/{survey_id}/results/").json()
    assert results["submissions"] == 1
    assert [o["count"] for o in results["questions"][0]["bars"]] == [0, 1]
    assert results["questions"][0]["bars"][1]["percent"] == 100.0

    responses = owner_api.get(f"/api/v1/surveys/{survey_id}/responses/").json()
    assert responses["count"] == 1
    assert {a["questionId"] for a in responses["results"][0]["answers"]} == set(
        survey.questions.values_list("pk", flat=True)
    )

    closed = owner_api.post(f"/api/v1/surveys/{survey_id}/close/")
    assert closed.json()["status"] == "closed"
    assert submit(APIClient(), survey, answers_for(survey), key="late").status_code == 410


def test_list_update_and_delete(owner_api, owner, outsider):
    mine = build_survey(owner=owner, title="Mine")
    build_survey(owner=outsider, title="Theirs")
    listing = owner_api.get("/api/v1/surveys/").json()
    assert [s["title"] for s in listing["results"]] == ["Mine"]
    renamed = owner_api.patch(f"/api/v1/surveys/{mine.pk}/", {"title": "Renamed"}, format="json")
    assert renamed.json()["title"] == "Renamed"
    assert owner_api.delete(f"/api/v1/surveys/{mine.pk}/").status_code == 204
    assert not Survey.objects.filter(pk=mine.pk).exists()


def test_results_match_the_results_page(owner_api, owner_client, owner):
    survey = build_survey(owner=owner, status="active", questions=3, options=4)
    add_submissions(survey, 37)
    api_results = owner_api.get(f"/api/v1/surveys/{survey.pk}/results/").json()
    page = owner_client.get(reverse("surveys:results", args=[survey.pk])).context["results"]
    assert api_results["submissions"] == page.submissions
    assert [
        [(o["label"], o["count"], o["percent"]) for o in q["bars"]]
        for q in api_results["questions"]
    ] == [[(o.label, o.count, o.percent) for o in q.bars] for q in page.questions]


def test_validation_errors_name_the_field(owner_api, owner, draft_survey):
    assert owner_api.post("/api/v1/surveys/", {"title": ""}, format="json").json() == {
        "title": ["This field may not be blank."]
    }
    empty = build_survey(owner=owner, questions=0)
    refused = owner_api.post(f"/api/v1/surveys/{empty.pk}/publish/")
    assert refused.status_code == 400 and refused.json() == {
        "survey": ["Add at least one question."]
    }
    question = draft_survey.questions.first()
    assert owner_api.post(
        f"/api/v1/questions/{question.pk}/options/", {}, format="json"
    ).json() == {"text": ["This field is required."]}


def test_structure_is_frozen_once_started(owner_api, active_survey):
    question = active_survey.questions.first()
    option = question.options.first()
    before = database_state()
    for response in (
        owner_api.post(
            f"/api/v1/surveys/{active_survey.pk}/questions/", {"prompt": "New?"}, format="json"
        ),
        owner_api.patch(
            f"/api/v1/questions/{question.pk}/", {"prompt": "Changed?"}, format="json"
        ),
        owner_api.delete(f"/api/v1/questions/{question.pk}/"),
        owner_api.post(
            f"/api/v1/questions/{question.pk}/options/", {"text": "New"}, format="json"
        ),
        owner_api.patch(f"/api/v1/options/{option.pk}/", {"text": "Changed"}, format="json"),
        owner_api.delete(f"/api/v1/options/{option.pk}/"),
    ):
        assert response.status_code == 409
        assert "detail" in response.json()
    assert database_state() == before


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
def test_authorization_matrix(owner, outsider_api, status):
    survey = build_survey(owner=owner, status=status)
    before = database_state()
    for method, path, data in creator_requests(survey):
        anonymous = getattr(APIClient(), method)(path, data, format="json")
        assert anonymous.status_code == 401, (method, path)
        if path == "/api/v1/surveys/":
            continue  # a list or a create of one's own: nothing of the owner's is touched
        other = getattr(outsider_api, method)(path, data, format="json")
        assert other.status_code == 404, (method, path)
    assert database_state() == before


@pytest.mark.parametrize("pk", ["0", "987654", str(2**63), str(10**30)])
def test_unknown_and_huge_ids_are_404(owner_api, pk):
    for path in (f"/api/v1/surveys/{pk}/", f"/api/v1/questions/{pk}/", f"/api/v1/options/{pk}/"):
        assert owner_api.get(path).status_code == 404


def test_session_authentication_needs_csrf(owner, active_survey):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.get(f"/api/v1/surveys/{active_survey.pk}/results/").status_code == 200
    assert client.post("/api/v1/surveys/", {"title": "X"}, format="json").status_code == 403


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


def test_submissions_are_validated_by_the_same_rules(active_survey, owner):
    other = build_survey(owner=owner, status="active")
    good = answers_for(active_survey)
    cases = {
        "missing": good[:1],
        "foreign option": [
            good[0],
            {"questionId": good[1]["questionId"], "optionId": answers_for(other)[0]["optionId"]},
        ],
        "twice": [good[0], good[0]],
        "empty": [],
        "not numbers": [{"questionId": "a", "optionId": "b"}],
        "huge": [{"questionId": 10**30, "optionId": 1}],
    }
    for name, answers in cases.items():
        response = submit(APIClient(), active_survey, answers, key=name.replace(" ", "-"))
        assert response.status_code == 400, name
        assert "answers" in response.json(), name
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("key", [None, "", "has spaces", "x" * 61])
def test_idempotency_key_is_required(active_survey, key):
    client = APIClient()
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    response = client.post(
        f"/api/v1/public/surveys/{active_survey.public_token}/responses/",
        {"answers": answers_for(active_survey)},
        format="json",
        **headers,
    )
    assert response.status_code == 400 and "idempotencyKey" in response.json()
    assert Submission.objects.count() == 0


def test_same_idempotency_key_twice_stores_once(active_survey):
    first = submit(APIClient(), active_survey, answers_for(active_survey, 0), key="retry-me")
    again = submit(APIClient(), active_survey, answers_for(active_survey, 1), key="retry-me")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Submission.objects.count() == 1
    stored = set(Submission.objects.get().answers.values_list("option_id", flat=True))
    assert stored == {a["optionId"] for a in answers_for(active_survey, 0)}


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
def test_throttles_hold_at_their_configured_rates(owner, active_survey, who, rate):
    # The cheapest request of each: an unknown survey (404) counts like any other.
    client = api(owner) if who == "creator" else APIClient()
    path = "/api/v1/surveys/987654/" if who == "creator" else "/api/v1/public/surveys/nope/"
    statuses = [client.get(path).status_code for _ in range(rate + 1)]
    assert statuses == [404] * rate + [429]


def test_schema_and_docs(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "openapi: 3" in text and "publicUrl" in text and "public_url" not in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert (
        b"cdn" not in docs.content.lower() and b"/static/drf_spectacular_sidecar/" in docs.content
    )


def test_token_page_creates_and_revokes(owner_client, owner):
    owner_client.post(reverse("accounts:api_token"), {"action": "create"})
    token = Token.objects.get(user=owner)
    assert token.key.encode() in owner_client.get(reverse("accounts:settings")).content
    assert api(owner).get("/api/v1/surveys/").status_code == 200
    owner_client.post(reverse("accounts:api_token"), {"action": "revoke"})
    assert not Token.objects.filter(user=owner).exists()
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert revoked.get("/api/v1/surveys/").status_code == 401


def test_question_and_option_edits_in_draft(owner_api, draft_survey):
    question = draft_survey.questions.first()
    option = question.options.first()
    assert (
        owner_api.patch(
            f"/api/v1/questions/{question.pk}/", {"prompt": "New?"}, format="json"
        ).json()["prompt"]
        == "New?"
    )
    assert (
        owner_api.patch(f"/api/v1/options/{option.pk}/", {"text": "New"}, format="json").json()[
            "text"
        ]
        == "New"
    )
    assert owner_api.delete(f"/api/v1/options/{option.pk}/").status_code == 204
    assert owner_api.delete(f"/api/v1/questions/{question.pk}/").status_code == 204
    assert not Option.objects.filter(pk=option.pk).exists()
    assert not Question.objects.filter(pk=question.pk).exists()


def test_every_kind_of_question_through_the_api(owner_api):
    survey_id = owner_api.post("/api/v1/surveys/", {"title": "Kinds"}, format="json").json()["id"]
    url = f"/api/v1/surveys/{survey_id}/questions/"
    tick = owner_api.post(
        url, {"prompt": "Tick", "kind": "multiple", "maxChoices": 2}, format="json"
    ).json()
    for text in ("A", "B", "C"):
        owner_api.post(f"/api/v1/questions/{tick['id']}/options/", {"text": text}, format="json")
    note = owner_api.post(
        url, {"prompt": "Note", "kind": "short_text", "required": False}, format="json"
    ).json()
    size = owner_api.post(
        url, {"prompt": "Size", "kind": "number", "minValue": "1", "maxValue": "9"}, format="json"
    ).json()
    nps = owner_api.post(url, {"prompt": "NPS", "kind": "nps"}, format="json").json()
    assert (size["kind"], size["minValue"], note["required"]) == ("number", "1.0000", False)
    bad = owner_api.post(
        url, {"prompt": "X", "kind": "number", "minValue": 5, "maxValue": 1}, format="json"
    )
    assert bad.status_code == 400 and "maxValue" in bad.json()
    no_options = owner_api.post(
        f"/api/v1/questions/{nps['id']}/options/", {"text": "0"}, format="json"
    )
    assert no_options.status_code == 400
    assert owner_api.post(f"/api/v1/surveys/{survey_id}/publish/").status_code == 200
    survey = Survey.objects.get(pk=survey_id)

    public = APIClient().get(f"/api/v1/public/surveys/{survey.public_token}/").json()
    assert [q["kind"] for q in public["questions"]] == ["multiple", "short_text", "number", "nps"]
    assert public["questions"][1]["maxLength"] == 200

    a, b, c = (
        o["id"] for o in owner_api.get(f"/api/v1/questions/{tick['id']}/").json()["options"]
    )
    good = [
        {"questionId": tick["id"], "optionIds": [a, c]},
        {"questionId": note["id"], "text": "Fine"},
        {"questionId": size["id"], "number": 4.5},
        {"questionId": nps["id"], "number": 9},
    ]
    wrong = {
        "too many": [{**good[0], "optionIds": [a, b, c]}, *good[1:]],
        "off scale": [*good[:3], {"questionId": nps["id"], "number": 11}],
        "out of range": [good[0], good[1], {**good[2], "number": 10}, good[3]],
        "two values": [{**good[0], "text": "x"}, *good[1:]],
        "nul": [good[0], {**good[1], "text": "a\x00b"}, *good[2:]],
    }
    for name, answers in wrong.items():
        response = submit(APIClient(), survey, answers, key=name.replace(" ", "-"))
        assert response.status_code == 400, name
    assert Submission.objects.count() == 0
    assert submit(APIClient(), survey, good).status_code == 201
    assert submit(APIClient(), survey, [good[0], good[2], good[3]], key="k2").status_code == 201

    results = owner_api.get(f"/api/v1/surveys/{survey_id}/results/").json()["questions"]
    assert [(bar["label"], bar["count"]) for bar in results[0]["bars"]] == [
        ("A", 2),
        ("B", 0),
        ("C", 2),
    ]
    assert results[1]["answered"] == 1 and results[1]["texts"] == ["Fine"]
    assert results[2]["stats"]["mean"] == 4.5 and results[3]["stats"]["nps"] == 100
    responses = owner_api.get(f"/api/v1/surveys/{survey_id}/responses/").json()["results"]
    assert {(x["optionId"], x["text"], x["number"]) for x in responses[1]["answers"]} == {
        (a, "", None),
        (c, "", None),
        (None, "Fine", None),
        (None, "", 4.5),
        (None, "", 9),
    }


def test_new_version_through_the_api(owner_api, active_survey, draft_survey):
    url = f"/api/v1/surveys/{active_survey.pk}/new-version/"
    draft = owner_api.post(url)
    assert draft.status_code == 201
    body = draft.json()
    assert (body["status"], body["version"], body["previousVersion"]) == (
        "draft",
        2,
        active_survey.pk,
    )
    assert len(body["questions"]) == active_survey.questions.count()
    assert owner_api.post(url).json()["id"] == body["id"]  # the same draft again
    assert owner_api.post(f"/api/v1/surveys/{draft_survey.pk}/new-version/").status_code == 409
    published = owner_api.post(f"/api/v1/surveys/{body['id']}/publish/").json()
    assert published["publicUrl"].endswith(f"/s/{active_survey.public_token}/")
    off = owner_api.patch(
        f"/api/v1/surveys/{body['id']}/", {"oneResponsePerBrowser": False}, format="json"
    )
    assert off.json()["oneResponsePerBrowser"] is False
