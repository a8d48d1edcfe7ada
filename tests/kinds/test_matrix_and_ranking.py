"""Matrix and ranking questions everywhere a kind goes: the answer form and the API (one
rule), bad input (a row missing or answered twice, a repeated or missing place), results,
the per-response page, exports, a respondent's edit form and the builder."""

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from surveys import services
from surveys.forms import AnswerForm
from surveys.models import Answer, Question, Submission
from surveys.results import results_for
from surveys.structure import survey_structure
from tests.helpers import answer_url, by_kind, submit_mixed

pytestmark = pytest.mark.django_db

KindChoices = Question.KindChoices


@pytest.fixture
def q(mixed_survey):
    return by_kind(mixed_survey)


def rows_of(question):
    return list(question.options.all())


def form_data(client, survey, q, **fields):
    """The answer form with the required questions answered, plus `fields` as posted."""
    form = client.get(answer_url(survey)).context["form"]
    return {
        "token": form.initial["token"],
        f"q_{q[KindChoices.SINGLE].pk}": str(rows_of(q[KindChoices.SINGLE])[0].pk),
        f"q_{q[KindChoices.MULTIPLE].pk}": str(rows_of(q[KindChoices.MULTIPLE])[0].pk),
        f"q_{q[KindChoices.SHORT_TEXT].pk}": "ok",
        f"q_{q[KindChoices.NUMBER].pk}": "1",
        f"q_{q[KindChoices.RATING_5].pk}": "3",
        **fields,
    }


def matrix_fields(q, points):
    question = q[KindChoices.MATRIX]
    return {
        f"q_{question.pk}_{row.pk}": str(point)
        for row, point in zip(rows_of(question), points, strict=False)
        if point is not None
    }


def ranking_fields(q, places):
    question = q[KindChoices.RANKING]
    return {
        f"q_{question.pk}_{option.pk}": str(place)
        for option, place in zip(rows_of(question), places, strict=False)
        if place is not None
    }


def stored(question):
    return dict(Answer.objects.filter(question=question).values_list("option__text", "number"))


def test_a_matrix_and_a_ranking_are_stored_one_row_per_option(client, mixed_survey, q):
    data = form_data(
        client, mixed_survey, q, **matrix_fields(q, [5, 1, 3]), **ranking_fields(q, [2, 3, 1])
    )
    assert client.post(answer_url(mixed_survey), data).status_code == 302
    rows, options = rows_of(q[KindChoices.MATRIX]), rows_of(q[KindChoices.RANKING])
    assert stored(q[KindChoices.MATRIX]) == {rows[0].text: 5, rows[1].text: 1, rows[2].text: 3}
    assert stored(q[KindChoices.RANKING]) == {
        options[0].text: 2,
        options[1].text: 3,
        options[2].text: 1,
    }


def test_the_form_draws_a_radio_group_per_row_and_a_select_per_option(client, mixed_survey, q):
    page = client.get(answer_url(mixed_survey)).content.decode()
    row = rows_of(q[KindChoices.MATRIX])[0]
    assert f"<legend>{row.text}</legend>" in page
    assert (
        f'name="q_{q[KindChoices.MATRIX].pk}_{row.pk}" value="1"' in page
        and "Strongly agree" in page
    )
    option = rows_of(q[KindChoices.RANKING])[0]
    assert f'<select name="q_{q[KindChoices.RANKING].pk}_{option.pk}"' in page
    assert "Give each option a place, 1 for your first choice." in page


@pytest.mark.parametrize(
    "fields, message",
    [
        (lambda q: ranking_fields(q, [1, 1, 2]), "Give each place to one option only."),
        (lambda q: ranking_fields(q, [1, 2, None]), "Give every option a place."),
    ],
)
def test_a_repeated_or_missing_place_is_asked_again(client, mixed_survey, q, fields, message):
    response = client.post(
        answer_url(mixed_survey), form_data(client, mixed_survey, q, **fields(q))
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert Submission.objects.count() == 0 and Answer.objects.count() == 0


def test_a_required_matrix_needs_every_row(client, mixed_survey, q):
    q[KindChoices.MATRIX].required = True
    q[KindChoices.MATRIX].save()
    data = form_data(client, mixed_survey, q, **matrix_fields(q, [4, None, 2]))
    response = client.post(answer_url(mixed_survey), data)
    assert response.status_code == 200
    assert "Answer every row (1 left)." in response.content.decode()
    data = form_data(client, mixed_survey, q, **matrix_fields(q, [4, 4, 2]))
    assert client.post(answer_url(mixed_survey), data).status_code == 302


def test_an_optional_matrix_takes_some_rows(client, mixed_survey, q):
    data = form_data(client, mixed_survey, q, **matrix_fields(q, [None, 2, None]))
    assert client.post(answer_url(mixed_survey), data).status_code == 302
    assert stored(q[KindChoices.MATRIX]) == {rows_of(q[KindChoices.MATRIX])[1].text: 2}


@pytest.mark.parametrize(
    "fields",
    [
        lambda q: matrix_fields(q, [6, None, None]),  # off the five-point scale
        lambda q: matrix_fields(q, [0, None, None]),
        lambda q: matrix_fields(q, ["x", None, None]),
        lambda q: matrix_fields(q, ["9" * 5000, None, None]),
        lambda q: ranking_fields(q, [4, 1, 2]),  # no fourth place among three
        lambda q: ranking_fields(q, ["-1", 1, 2]),
        lambda q: ranking_fields(q, ["１", 2, 3]),
        # a row of another question
        lambda q: {f"q_{q[KindChoices.MATRIX].pk}_{rows_of(q[KindChoices.SINGLE])[0].pk}": "1"},
        lambda q: {f"q_{q[KindChoices.MATRIX].pk}_999999": "1"},
        # a row answered twice
        lambda q: {
            f"q_{q[KindChoices.MATRIX].pk}_{rows_of(q[KindChoices.MATRIX])[0].pk}": ["1", "2"]
        },
    ],
)
def test_what_the_form_cannot_send_is_a_400_and_stores_nothing(client, mixed_survey, q, fields):
    data = form_data(client, mixed_survey, q, **fields(q))
    assert client.post(answer_url(mixed_survey), data).status_code == 400
    assert Submission.objects.count() == 0 and Answer.objects.count() == 0


def api_answers(q, **extra):
    return [
        {"questionId": q[KindChoices.SINGLE].pk, "optionId": rows_of(q[KindChoices.SINGLE])[0].pk},
        {
            "questionId": q[KindChoices.MULTIPLE].pk,
            "optionIds": [rows_of(q[KindChoices.MULTIPLE])[0].pk],
        },
        {"questionId": q[KindChoices.SHORT_TEXT].pk, "text": "ok"},
        {"questionId": q[KindChoices.NUMBER].pk, "number": 5},
        {"questionId": q[KindChoices.RATING_5].pk, "number": 4},
        *extra.values(),
    ]


def api_submit(survey, answers, key):
    return APIClient().post(
        f"/api/v1/public/surveys/{survey.public_token}/responses/",
        {"answers": answers},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_the_api_takes_a_ranking_in_order_and_a_matrix_as_points(mixed_survey, q):
    ranking, matrix = q[KindChoices.RANKING], q[KindChoices.MATRIX]
    order = [o.pk for o in rows_of(ranking)][::-1]
    rows = rows_of(matrix)
    cases = {
        "repeated": {"questionId": ranking.pk, "optionIds": [order[0], order[0], order[1]]},
        "missing": {"questionId": ranking.pk, "optionIds": order[:2]},
        "foreign": {"questionId": ranking.pk, "optionIds": [*order[:2], rows[0].pk]},
        "off the scale": {"questionId": matrix.pk, "points": {str(rows[0].pk): 6}},
        "not a number": {"questionId": matrix.pk, "points": {str(rows[0].pk): "a"}},
        "a foreign row": {"questionId": matrix.pk, "points": {str(order[0]): 2}},
        "two values": {"questionId": matrix.pk, "points": {}, "text": "x"},
    }
    for name, answer in cases.items():
        response = api_submit(mixed_survey, api_answers(q, extra=answer), name.replace(" ", "-"))
        assert response.status_code == 400, name
        assert "answers" in response.json(), name
    assert Submission.objects.count() == 0
    good = api_answers(
        q,
        ranking={"questionId": ranking.pk, "optionIds": order},
        matrix={"questionId": matrix.pk, "points": {str(rows[0].pk): 2, str(rows[2].pk): 5}},
    )
    assert api_submit(mixed_survey, good, "good").status_code == 201
    assert stored(ranking) == {o.text: place for place, o in enumerate(rows_of(ranking)[::-1], 1)}
    assert stored(matrix) == {rows[0].text: 2, rows[2].text: 5}


def test_results_count_each_row_and_rank_the_options(mixed_survey, q):
    ranking, matrix = q[KindChoices.RANKING], q[KindChoices.MATRIX]
    a, b, c = (o.pk for o in rows_of(ranking))
    rows = [o.pk for o in rows_of(matrix)]
    for order, points in [
        ([a, b, c], {rows[0]: 4}),
        ([a, c, b], {rows[0]: 5, rows[1]: 1}),
        ([b, a, c], {}),
    ]:
        submit_mixed(
            mixed_survey, **{KindChoices.RANKING: order, KindChoices.MATRIX: points or None}
        )
    results = {r.kind: r for r in results_for(mixed_survey).questions}
    ranked = results[KindChoices.RANKING]
    assert [(bar.label, bar.count) for bar in ranked.bars] == [
        (o.text, n) for o, n in zip(rows_of(ranking), (2, 1, 0), strict=True)
    ]
    # mean places: a (1+1+2)/3, b (2+3+1)/3, c (3+2+3)/3; best first
    assert [(row.label, str(row.mean)) for row in ranked.rows] == [
        (rows_of(ranking)[0].text, "1.33"),
        (rows_of(ranking)[1].text, "2.00"),
        (rows_of(ranking)[2].text, "2.67"),
    ]
    assert not ranked.filterable and results[KindChoices.SINGLE].filterable
    grid = results[KindChoices.MATRIX]
    assert grid.answered == 2
    first, second, third = grid.rows
    assert [bar.count for bar in first.bars] == [0, 0, 0, 1, 1] and first.answered == 2
    assert [bar.label for bar in first.bars][-1] == "Strongly agree"
    assert [bar.count for bar in second.bars] == [1, 0, 0, 0, 0] and third.answered == 0
    assert first.mean is None  # an agreement scale isn't a number


def test_a_numeric_matrix_has_a_mean_per_row(mixed_survey, q):
    Question.objects.filter(pk=q[KindChoices.MATRIX].pk).update(scale="1-10")
    cache.clear()  # the cached structure saw the old scale
    row = rows_of(q[KindChoices.MATRIX])[0].pk
    for point in (10, 7, 8):
        submit_mixed(mixed_survey, **{KindChoices.MATRIX: {row: point}})
    (result,) = [r for r in results_for(mixed_survey).questions if r.kind == KindChoices.MATRIX]
    assert str(result.rows[0].mean) == "8.33" and len(result.rows[0].bars) == 10


def test_exports_responses_page_and_the_api_show_them(alice_client, alice_api, mixed_survey, q):
    ranking, matrix = q[KindChoices.RANKING], q[KindChoices.MATRIX]
    options, rows = rows_of(ranking), rows_of(matrix)
    submit_mixed(
        mixed_survey,
        **{
            KindChoices.RANKING: [options[2].pk, options[0].pk, options[1].pk],
            KindChoices.MATRIX: {rows[0].pk: 1, rows[2].pk: 5},
        },
    )
    page = alice_client.get(reverse("surveys:responses", args=[mixed_survey.pk])).content.decode()
    assert f"1. {options[2].text}; 2. {options[0].text}; 3. {options[1].text}" in page
    assert f"{rows[0].text}: Strongly disagree; {rows[2].text}: Strongly agree" in page

    summary = alice_client.get(reverse("surveys:export_summary", args=[mixed_survey.pk]))
    lines = list(csv.reader(io.StringIO(summary.content.decode("utf-8-sig"))))
    assert [f"{rows[0].text}: Strongly disagree", "1", "100.0"] in [line[2:] for line in lines]
    assert [f"{options[2].text}: mean place", "1", ""] in [line[2:] for line in lines]

    results = alice_api.get(f"/api/v1/surveys/{mixed_survey.pk}/results/").json()
    grid = next(r for r in results["questions"] if r["kind"] == "matrix")
    assert grid["rows"][0]["label"] == rows[0].text and grid["rows"][0]["bars"][0]["count"] == 1
    responses = alice_api.get(f"/api/v1/surveys/{mixed_survey.pk}/responses/").json()
    answers = responses["results"][0]["answers"]
    assert {
        "questionId": ranking.pk,
        "optionId": options[2].pk,
        "text": "",
        "number": 1,
        "fileUrl": None,
    } in answers


def test_a_respondent_sees_their_ranking_and_matrix_in_the_edit_form(mixed_survey, q):
    ranking, matrix = q[KindChoices.RANKING], q[KindChoices.MATRIX]
    options, rows = rows_of(ranking), rows_of(matrix)
    submission = submit_mixed(
        mixed_survey,
        **{
            KindChoices.RANKING: [o.pk for o in options][::-1],
            KindChoices.MATRIX: {rows[1].pk: 3},
        },
    )
    form = AnswerForm.for_response(submission, questions=survey_structure(mixed_survey))
    assert form.initial[f"q_{matrix.pk}"] == {str(rows[1].pk): "3"}
    assert form.initial[f"q_{ranking.pk}"] == {
        str(options[0].pk): "3",
        str(options[1].pk): "2",
        str(options[2].pk): "1",
    }


def test_a_matrix_needs_a_scale_and_rows_to_start(alice, draft_survey):
    question = services.add_question(survey=draft_survey, prompt="Rate these", kind="matrix")
    problems = question.kind_def.start_problems(question, 0)
    assert problems == ["“Rate these” needs a scale.", "“Rate these” needs at least one row."]
    services.update_question(question=question, scale="agree")
    question.refresh_from_db()
    assert question.kind_def.start_problems(question, 1) == []
    assert question.settings_summary == ["Strongly disagree to strongly agree"]


def test_the_builder_calls_a_matrix_option_a_row(alice_client, draft_survey):
    question = services.add_question(
        survey=draft_survey, prompt="Rate these", kind="matrix", scale="1-5"
    )
    page = alice_client.get(reverse("surveys:option_create", args=[question.pk])).content.decode()
    assert "Add rows to" in page and "Add another row" in page and ">Row:<" in page
