"""What the inline builder reads and writes beyond the CRUD endpoints: the kinds and their
fields, moves by any offset, duplicates, why a draft can't start yet; and the preview page,
drawn by the takers' code."""

import pytest
from django.urls import reverse

from dbtools.factories import build_mixed_survey, build_survey
from surveys.forms import QuestionForm
from surveys.kinds import KINDS
from surveys.models import Question
from tests.helpers import database_state

pytestmark = pytest.mark.django_db


def _camel(name):
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


# How each kind of form field is drawn: the builder draws the same input.
INPUTS = {
    "StrictIntegerField": "number",
    "StrictDecimalField": "number",
    "DateField": "date",
    "TypedChoiceField": "select",
    "MultipleChoiceField": "checkboxes",
}


def test_the_kinds_endpoint_says_what_each_kind_has_as_the_kinds_define_it(alice_api):
    body = alice_api.get("/api/v1/kinds/").json()
    assert [kind["key"] for kind in body["kinds"]] == list(KINDS)
    form = QuestionForm()
    for described in body["kinds"]:
        kind = KINDS[described["key"]]
        assert described["label"] == kind.label
        assert described["hasOptions"] == kind.has_options
        assert described["optionWord"] == kind.option_word
        assert [s["name"] for s in described["settings"]] == [_camel(n) for n in kind.settings]
        for setting, name in zip(described["settings"], kind.settings, strict=True):
            assert setting["label"] == kind.settings[name].label
            assert setting["input"] == INPUTS[type(form.fields[name]).__name__]
    matrix = next(k for k in body["kinds"] if k["key"] == "matrix")
    assert {"value": "agree", "label": "Strongly disagree to strongly agree"} in matrix[
        "settings"
    ][0]["choices"]
    assert [f["name"] for f in body["fields"]] == ["prompt", "helpText", "required"]
    assert body["fields"][0]["attrs"]["maxlength"] == "500"
    # Every name it gives is a key of a question's own JSON.
    names = {s["name"] for k in body["kinds"] for s in k["settings"]}
    question = alice_api.post(
        f"/api/v1/surveys/{_draft_of(alice_api)}/questions/", {"prompt": "Q"}, format="json"
    ).json()
    assert names | {"prompt", "helpText", "required"} <= set(question)


def _draft_of(api):
    return api.post("/api/v1/surveys/", {"title": "Builder"}, format="json").json()["id"]


def test_the_kinds_endpoint_needs_a_signed_in_user():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/kinds/").status_code in (401, 403)


def _prompts(survey):
    return list(survey.questions.values_list("prompt", flat=True))


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(1, ["Q2", "Q1", "Q3", "Q4"]), (2, ["Q2", "Q3", "Q1", "Q4"]), (9, ["Q2", "Q3", "Q4", "Q1"])],
)
def test_a_question_moves_any_number_of_places_and_stops_at_the_end(
    alice, alice_api, offset, expected
):
    survey = build_survey(owner=alice, questions=4, options=0)
    for n, question in enumerate(survey.questions.all(), start=1):
        Question.objects.filter(pk=question.pk).update(prompt=f"Q{n}")
    first = survey.questions.first()
    moved = alice_api.post(
        f"/api/v1/questions/{first.pk}/move/", {"offset": offset}, format="json"
    )
    assert moved.status_code == 200
    assert _prompts(survey) == expected
    assert moved.json()["position"] == expected.index("Q1") + 1
    back = alice_api.post(f"/api/v1/questions/{first.pk}/move/", {"offset": -9}, format="json")
    assert back.status_code == 200 and _prompts(survey)[0] == "Q1"
    placed = alice_api.post(f"/api/v1/questions/{first.pk}/move/", {"to": 3}, format="json")
    assert placed.json()["position"] == 3 and _prompts(survey) == ["Q2", "Q3", "Q1", "Q4"]


def test_an_option_moves_up_and_down(alice, alice_api):
    survey = build_survey(owner=alice, questions=1, options=3)
    last = survey.questions.first().options.last()
    moved = alice_api.post(f"/api/v1/options/{last.pk}/move/", {"offset": -2}, format="json")
    assert moved.status_code == 200
    assert list(last.question.options.values_list("text", flat=True)) == [
        "Option 1.3",
        "Option 1.1",
        "Option 1.2",
    ]


@pytest.mark.parametrize(
    "body",
    [
        *({"offset": value} for value in (None, "up", 1.5, True, [1], {"n": 1}, 10_000)),
        {"to": 0},
        {"to": "top"},
        {"offset": 1, "to": 2},
        {},
    ],
)
def test_a_malformed_move_is_a_400_and_moves_nothing(alice, alice_api, body):
    survey = build_survey(owner=alice, questions=3)
    question = survey.questions.first()
    before = database_state()
    moved = alice_api.post(f"/api/v1/questions/{question.pk}/move/", body, format="json")
    assert moved.status_code == 400
    assert database_state() == before


def test_moves_and_duplicates_of_someone_elses_or_a_started_survey_are_refused(
    alice_api, bob, active_survey
):
    theirs = build_survey(owner=bob).questions.first()
    before = database_state()
    for url in (
        f"/api/v1/questions/{theirs.pk}/move/",
        f"/api/v1/questions/{theirs.pk}/duplicate/",
    ):
        assert alice_api.post(url, {"offset": 1}, format="json").status_code == 404
    option = theirs.options.first()
    assert (
        alice_api.post(
            f"/api/v1/options/{option.pk}/move/", {"offset": 1}, format="json"
        ).status_code
        == 404
    )
    running = active_survey.questions.first()
    assert (
        alice_api.post(
            f"/api/v1/questions/{running.pk}/move/", {"offset": 1}, format="json"
        ).status_code
        == 409
    )
    assert alice_api.post(f"/api/v1/questions/{running.pk}/duplicate/").status_code == 409
    assert database_state() == before


def test_a_duplicate_comes_right_after_its_question_with_its_options_and_settings(
    alice, alice_api
):
    survey = build_mixed_survey(owner=alice)
    questions = list(survey.questions.all())
    source = next(q for q in questions if q.kind == "multiple")
    Question.objects.filter(pk=source.pk).update(revision=5)
    made = alice_api.post(f"/api/v1/questions/{source.pk}/duplicate/")
    assert made.status_code == 201
    body = made.json()
    assert body["revision"] == 1 and body["id"] != source.pk
    assert body["prompt"] == source.prompt and body["minChoices"] == source.min_choices
    assert [o["text"] for o in body["options"]] == list(
        source.options.values_list("text", flat=True)
    )
    order = list(survey.questions.values_list("pk", flat=True))
    assert order.index(body["id"]) == order.index(source.pk) + 1
    assert len(order) == len(questions) + 1
    assert list(survey.questions.values_list("position", flat=True)) == list(
        range(1, len(order) + 1)
    )


def test_a_file_question_is_not_duplicated_past_the_file_cap(alice, alice_api, settings):
    settings.FILE_QUESTIONS_PER_SURVEY = 1
    survey = build_survey(owner=alice, questions=0)
    file_question = alice_api.post(
        f"/api/v1/surveys/{survey.pk}/questions/", {"prompt": "CV", "kind": "file"}, format="json"
    ).json()
    before = database_state()
    refused = alice_api.post(f"/api/v1/questions/{file_question['id']}/duplicate/")
    assert refused.status_code == 400 and "file questions" in refused.json()["detail"]
    assert database_state() == before


def test_a_draft_says_why_it_cant_start_yet(alice, alice_api):
    empty = build_survey(owner=alice, questions=0)
    assert alice_api.get(f"/api/v1/surveys/{empty.pk}/").json()["startProblems"] == [
        "Add at least one question."
    ]
    ready = build_survey(owner=alice, questions=1, options=2)
    assert alice_api.get(f"/api/v1/surveys/{ready.pk}/").json()["startProblems"] == []
    short = build_survey(owner=alice, questions=1, options=1)
    problems = alice_api.get(f"/api/v1/surveys/{short.pk}/").json()["startProblems"]
    assert len(problems) == 1 and "option" in problems[0]


def test_the_preview_is_the_takers_page_for_its_owner_only(alice_client, bob_client, alice):
    survey = build_mixed_survey(owner=alice)
    url = reverse("surveys:preview", args=[survey.pk])
    page = alice_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for question in survey.questions.all():
        assert question.prompt in html
    assert "Nothing you enter here is sent" in html and 'method="post"' not in html
    # Framed by the builder on the same site, by nobody else.
    assert page["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in page["Content-Security-Policy"]
    assert bob_client.get(url).status_code == 404
    edit = alice_client.get(reverse("surveys:edit", args=[survey.pk]))
    assert "frame-src 'self'" in edit["Content-Security-Policy"]
    assert "unsafe-inline" not in edit["Content-Security-Policy"]
