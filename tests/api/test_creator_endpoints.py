"""The creator's API: surveys, questions and options, results and responses, versions."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dbtools.factories import add_submissions, build_survey
from surveys.models import Option, Question, Submission, Survey
from tests.helpers import api_answers, api_submit, database_state

pytestmark = pytest.mark.django_db


def test_creator_builds_starts_and_reads_results(alice_api):
    created = alice_api.post("/api/v1/surveys/", {"title": "Lunch"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["title"] == "Lunch" and body["status"] == "draft" and body["submissions"] == 0
    assert body["publicUrl"].startswith("http://testserver/s/")
    assert "createdAt" in body and "created_at" not in body
    survey_id = body["id"]

    for prompt, texts in [("Pizza or pasta?", ["Pizza", "Pasta"]), ("Dessert?", ["Yes", "No"])]:
        question = alice_api.post(
            f"/api/v1/surveys/{survey_id}/questions/", {"prompt": prompt}, format="json"
        )
        assert question.status_code == 201
        for text in texts:
            option = alice_api.post(
                f"/api/v1/questions/{question.json()['id']}/options/",
                {"text": text},
                format="json",
            )
            assert option.status_code == 201 and option.json()["text"] == text

    started = alice_api.post(f"/api/v1/surveys/{survey_id}/start/")
    assert started.status_code == 200 and started.json()["status"] == "active"
    survey = Survey.objects.get(pk=survey_id)

    assert api_submit(APIClient(), survey, api_answers(survey, 1)).status_code == 201
    results = alice_api.get(f"/api/v1/surveys/{survey_id}/results/").json()
    assert results["submissions"] == 1
    assert [o["count"] for o in results["questions"][0]["bars"]] == [0, 1]
    assert results["questions"][0]["bars"][1]["percent"] == 100.0

    responses = alice_api.get(f"/api/v1/surveys/{survey_id}/responses/").json()
    assert responses["count"] == 1
    assert {a["questionId"] for a in responses["results"][0]["answers"]} == set(
        survey.questions.values_list("pk", flat=True)
    )

    closed = alice_api.post(f"/api/v1/surveys/{survey_id}/close/")
    assert closed.json()["status"] == "closed"
    assert api_submit(APIClient(), survey, api_answers(survey), key="late").status_code == 410


def test_every_setting_sent_at_creation_is_kept(alice_api, alice):
    """A create took the title and silently dropped the rest (the negative fuzzer in
    tests/api/test_schemathesis.py found it)."""
    body = {
        "title": "Lunch",
        "contact": "lunch@example.com",
        "retentionDays": 30,
        "recordDayOnly": True,
        "respondentsCanEdit": False,
        "maxResponses": 50,
    }
    created = alice_api.post("/api/v1/surveys/", body, format="json")
    assert created.status_code == 201
    assert {key: created.json()[key] for key in body} == body
    survey = Survey.objects.get(pk=created.json()["id"])
    assert (survey.contact, survey.retention_days, survey.max_responses) == (
        "lunch@example.com",
        30,
        50,
    )


def test_a_refused_setting_at_creation_creates_nothing(alice_api, alice):
    before = database_state()
    past = (timezone.now() - timedelta(days=1)).isoformat()
    refused = alice_api.post(
        "/api/v1/surveys/", {"title": "Lunch", "closesAt": past}, format="json"
    )
    assert refused.status_code == 400 and "closesAt" in refused.json()
    assert database_state() == before


def test_list_update_and_delete(alice_api, alice, bob):
    mine = build_survey(owner=alice, title="Mine")
    build_survey(owner=bob, title="Theirs")
    listing = alice_api.get("/api/v1/surveys/").json()
    assert [s["title"] for s in listing["results"]] == ["Mine"]
    renamed = alice_api.patch(f"/api/v1/surveys/{mine.pk}/", {"title": "Renamed"}, format="json")
    assert renamed.json()["title"] == "Renamed"
    assert alice_api.delete(f"/api/v1/surveys/{mine.pk}/").status_code == 204
    assert not Survey.objects.filter(pk=mine.pk).exists()


def test_results_match_the_results_page(alice_api, alice_client, alice):
    survey = build_survey(owner=alice, status="active", questions=3, options=4)
    add_submissions(survey, 37)
    api_results = alice_api.get(f"/api/v1/surveys/{survey.pk}/results/").json()
    page = alice_client.get(reverse("surveys:results", args=[survey.pk])).context["results"]
    assert api_results["submissions"] == page.submissions
    assert [
        [(o["label"], o["count"], o["percent"]) for o in q["bars"]]
        for q in api_results["questions"]
    ] == [[(o.label, o.count, o.percent) for o in q.bars] for q in page.questions]


def test_the_old_publish_url_still_starts_and_points_to_start(alice_api, draft_survey):
    started = alice_api.post(f"/api/v1/surveys/{draft_survey.pk}/publish/")
    assert started.status_code == 200 and started.json()["status"] == "active"
    assert started["Deprecation"] == "true"
    assert (
        started["Link"] == f'</api/v1/surveys/{draft_survey.pk}/start/>; rel="successor-version"'
    )
    again = alice_api.post(f"/api/v1/surveys/{draft_survey.pk}/publish/")
    assert again.status_code == 409 and again["Deprecation"] == "true"
    schema = alice_api.get("/api/schema/?format=json").json()["paths"]
    assert schema["/api/v1/surveys/{id}/publish/"]["post"]["deprecated"] is True
    assert "deprecated" not in schema["/api/v1/surveys/{id}/start/"]["post"]


def test_validation_errors_name_the_field(alice_api, alice, draft_survey):
    assert alice_api.post("/api/v1/surveys/", {"title": ""}, format="json").json() == {
        "title": ["This field may not be blank."]
    }
    empty = build_survey(owner=alice, questions=0)
    refused = alice_api.post(f"/api/v1/surveys/{empty.pk}/start/")
    assert refused.status_code == 400 and refused.json() == {
        "survey": ["Add at least one question."]
    }
    question = draft_survey.questions.first()
    assert alice_api.post(
        f"/api/v1/questions/{question.pk}/options/", {}, format="json"
    ).json() == {"text": ["This field is required."]}


def test_structure_is_frozen_once_started(alice_api, active_survey):
    question = active_survey.questions.first()
    option = question.options.first()
    before = database_state()
    for response in (
        alice_api.post(
            f"/api/v1/surveys/{active_survey.pk}/questions/", {"prompt": "New?"}, format="json"
        ),
        alice_api.patch(
            f"/api/v1/questions/{question.pk}/", {"prompt": "Changed?"}, format="json"
        ),
        alice_api.delete(f"/api/v1/questions/{question.pk}/"),
        alice_api.post(
            f"/api/v1/questions/{question.pk}/options/", {"text": "New"}, format="json"
        ),
        alice_api.patch(f"/api/v1/options/{option.pk}/", {"text": "Changed"}, format="json"),
        alice_api.delete(f"/api/v1/options/{option.pk}/"),
    ):
        assert response.status_code == 409
        assert "detail" in response.json()
    assert database_state() == before


def test_question_and_option_edits_in_draft(alice_api, draft_survey):
    question = draft_survey.questions.first()
    option = question.options.first()
    assert (
        alice_api.patch(
            f"/api/v1/questions/{question.pk}/", {"prompt": "New?"}, format="json"
        ).json()["prompt"]
        == "New?"
    )
    assert (
        alice_api.patch(f"/api/v1/options/{option.pk}/", {"text": "New"}, format="json").json()[
            "text"
        ]
        == "New"
    )
    assert alice_api.delete(f"/api/v1/options/{option.pk}/").status_code == 204
    assert alice_api.delete(f"/api/v1/questions/{question.pk}/").status_code == 204
    assert not Option.objects.filter(pk=option.pk).exists()
    assert not Question.objects.filter(pk=question.pk).exists()


def test_every_kind_of_question_through_the_api(alice_api):
    survey_id = alice_api.post("/api/v1/surveys/", {"title": "Kinds"}, format="json").json()["id"]
    url = f"/api/v1/surveys/{survey_id}/questions/"
    tick = alice_api.post(
        url, {"prompt": "Tick", "kind": "multiple", "maxChoices": 2}, format="json"
    ).json()
    for text in ("A", "B", "C"):
        alice_api.post(f"/api/v1/questions/{tick['id']}/options/", {"text": text}, format="json")
    note = alice_api.post(
        url, {"prompt": "Note", "kind": "short_text", "required": False}, format="json"
    ).json()
    size = alice_api.post(
        url, {"prompt": "Size", "kind": "number", "minValue": "1", "maxValue": "9"}, format="json"
    ).json()
    nps = alice_api.post(url, {"prompt": "NPS", "kind": "nps"}, format="json").json()
    assert (size["kind"], size["minValue"], note["required"]) == ("number", "1.0000", False)
    bad = alice_api.post(
        url, {"prompt": "X", "kind": "number", "minValue": 5, "maxValue": 1}, format="json"
    )
    assert bad.status_code == 400 and "maxValue" in bad.json()
    no_options = alice_api.post(
        f"/api/v1/questions/{nps['id']}/options/", {"text": "0"}, format="json"
    )
    assert no_options.status_code == 400
    assert alice_api.post(f"/api/v1/surveys/{survey_id}/start/").status_code == 200
    survey = Survey.objects.get(pk=survey_id)

    public = APIClient().get(f"/api/v1/public/surveys/{survey.public_token}/").json()
    assert [q["kind"] for q in public["questions"]] == ["multiple", "short_text", "number", "nps"]
    assert public["questions"][1]["maxLength"] == 200

    a, b, c = (
        o["id"] for o in alice_api.get(f"/api/v1/questions/{tick['id']}/").json()["options"]
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
        response = api_submit(APIClient(), survey, answers, key=name.replace(" ", "-"))
        assert response.status_code == 400, name
    assert Submission.objects.count() == 0
    assert api_submit(APIClient(), survey, good).status_code == 201
    assert (
        api_submit(APIClient(), survey, [good[0], good[2], good[3]], key="k2").status_code == 201
    )

    results = alice_api.get(f"/api/v1/surveys/{survey_id}/results/").json()["questions"]
    assert [(bar["label"], bar["count"]) for bar in results[0]["bars"]] == [
        ("A", 2),
        ("B", 0),
        ("C", 2),
    ]
    assert results[1]["answered"] == 1 and results[1]["texts"] == ["Fine"]
    assert results[2]["stats"]["mean"] == 4.5 and results[3]["stats"]["nps"] == 100
    responses = alice_api.get(f"/api/v1/surveys/{survey_id}/responses/").json()["results"]
    assert {(x["optionId"], x["text"], x["number"]) for x in responses[1]["answers"]} == {
        (a, "", None),
        (c, "", None),
        (None, "Fine", None),
        (None, "", 4.5),
        (None, "", 9),
    }


def test_new_version_through_the_api(alice_api, active_survey, draft_survey):
    url = f"/api/v1/surveys/{active_survey.pk}/new-version/"
    draft = alice_api.post(url)
    assert draft.status_code == 201
    body = draft.json()
    assert (body["status"], body["version"], body["previousVersion"]) == (
        "draft",
        2,
        active_survey.pk,
    )
    assert len(body["questions"]) == active_survey.questions.count()
    assert alice_api.post(url).json()["id"] == body["id"]  # the same draft again
    assert alice_api.post(f"/api/v1/surveys/{draft_survey.pk}/new-version/").status_code == 409
    started = alice_api.post(f"/api/v1/surveys/{body['id']}/start/").json()
    assert started["publicUrl"].endswith(f"/s/{active_survey.public_token}/")
    off = alice_api.patch(
        f"/api/v1/surveys/{body['id']}/", {"oneResponsePerBrowser": False}, format="json"
    )
    assert off.json()["oneResponsePerBrowser"] is False


def test_closing_rules_and_title_change_through_patch(alice_api, active_survey):
    url = f"/api/v1/surveys/{active_survey.pk}/"
    later = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    body = {"title": "Renamed", "closesAt": later.isoformat(), "maxResponses": 5}
    changed = alice_api.patch(url, body, format="json")
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["maxResponses"]) == ("Renamed", 5)
    active_survey.refresh_from_db()
    assert (active_survey.title, active_survey.closes_at, active_survey.max_responses) == (
        "Renamed",
        later,
        5,
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"closesAt": "2001-01-01T00:00:00Z"}, {"closesAt": ["Choose a time in the future."]}),
        ({"maxResponses": 0}, {"maxResponses": ["At least one response."]}),
        ({"title": " "}, {"title": ["This field may not be blank."]}),
    ],
)
def test_closing_rules_are_checked_by_the_same_rules(alice_api, active_survey, body, error):
    before = database_state()
    response = alice_api.patch(f"/api/v1/surveys/{active_survey.pk}/", body, format="json")
    assert (response.status_code, response.json()) == (400, error)
    assert database_state() == before


def test_close_and_reopen_and_their_refusals(alice_api, active_survey):
    base = f"/api/v1/surveys/{active_survey.pk}"
    assert alice_api.post(f"{base}/reopen/").json() == {
        "detail": "Only a closed survey can be reopened."
    }
    assert alice_api.post(f"{base}/close/").json()["status"] == "closed"
    again = alice_api.post(f"{base}/close/")
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "Only a running survey can be closed."},
    )
    assert alice_api.post(f"{base}/reopen/").json()["status"] == "active"


def test_delete_goes_through_the_service(alice_api, active_survey, caplog):
    add_submissions(active_survey, 3)
    caplog.set_level(logging.INFO, logger="canvass.surveys")
    assert alice_api.delete(f"/api/v1/surveys/{active_survey.pk}/").status_code == 204
    assert not Survey.objects.filter(pk=active_survey.pk).exists()
    assert (
        f"survey deleted survey={active_survey.pk} owner={active_survey.owner_id} responses=3"
        in caplog.text
    )
