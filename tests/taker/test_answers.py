"""Every kind of question, answered through the taker's form: valid answers are stored as
the right value, invalid ones get a clear error (or a 400 for what the form can't send),
and a rejected POST stores nothing."""

import logging
from decimal import Decimal

import pytest

from surveys.models import Answer, Question, Submission
from tests.helpers import answer_url, question_of

pytestmark = pytest.mark.django_db

KindChoices = Question.KindChoices


def options(mixed_survey, kind):
    return [str(o.pk) for o in question_of(mixed_survey, kind).options.all()]


def valid_data(client, mixed_survey):
    """A complete, valid answer to the mixed survey's required questions."""
    token = client.get(answer_url(mixed_survey)).context["form"].initial["token"]
    return {
        "token": token,
        f"q_{question_of(mixed_survey, KindChoices.SINGLE).pk}": options(
            mixed_survey, KindChoices.SINGLE
        )[1],
        f"q_{question_of(mixed_survey, KindChoices.MULTIPLE).pk}": options(
            mixed_survey, KindChoices.MULTIPLE
        )[:2],
        f"q_{question_of(mixed_survey, KindChoices.SHORT_TEXT).pk}": "  Blue, mostly  ",
        f"q_{question_of(mixed_survey, KindChoices.NUMBER).pk}": "42.5",
        f"q_{question_of(mixed_survey, KindChoices.RATING_5).pk}": "4",
    }


def with_answer(client, mixed_survey, kind, value):
    data = valid_data(client, mixed_survey)
    data[f"q_{question_of(mixed_survey, kind).pk}"] = value
    return data


def test_valid_answers_are_stored_as_their_values(client, mixed_survey):
    data = valid_data(client, mixed_survey)
    data[f"q_{question_of(mixed_survey, KindChoices.NPS).pk}"] = "0"
    data[f"q_{question_of(mixed_survey, KindChoices.LONG_TEXT).pk}"] = "Line one\nLine two"
    response = client.post(answer_url(mixed_survey), data)
    assert response.status_code == 302
    submission = Submission.objects.get()
    stored = {
        (a.question.kind, a.option_id, a.text, a.number)
        for a in submission.answers.select_related("question")
    }
    multiple = [int(pk) for pk in options(mixed_survey, KindChoices.MULTIPLE)[:2]]
    assert stored == {
        (KindChoices.SINGLE, int(options(mixed_survey, KindChoices.SINGLE)[1]), "", None),
        (KindChoices.MULTIPLE, multiple[0], "", None),
        (KindChoices.MULTIPLE, multiple[1], "", None),
        (KindChoices.SHORT_TEXT, None, "Blue, mostly", None),
        (KindChoices.LONG_TEXT, None, "Line one\nLine two", None),
        (KindChoices.NUMBER, None, "", Decimal("42.5")),
        (KindChoices.RATING_5, None, "", Decimal(4)),
        (KindChoices.NPS, None, "", Decimal(0)),
    }


def test_optional_questions_can_be_left_out(client, mixed_survey):
    assert (
        client.post(answer_url(mixed_survey), valid_data(client, mixed_survey)).status_code == 302
    )
    answered = set(Answer.objects.values_list("question__kind", flat=True))
    assert answered == {
        KindChoices.SINGLE,
        KindChoices.MULTIPLE,
        KindChoices.SHORT_TEXT,
        KindChoices.NUMBER,
        KindChoices.RATING_5,
    }


@pytest.mark.parametrize(
    "kind, value, message",
    [
        (KindChoices.MULTIPLE, [], "Please answer this question."),
        (KindChoices.MULTIPLE, "too many", "Choose at most 2."),
        (KindChoices.SHORT_TEXT, "   ", "Please answer this question."),
        (KindChoices.SHORT_TEXT, "x" * 201, "at most 200 characters"),
        (KindChoices.SHORT_TEXT, "nul\x00byte", "Null characters are not allowed."),
        (KindChoices.LONG_TEXT, "x" * 5001, "at most 5000 characters"),
        (KindChoices.NUMBER, "", "Please answer this question."),
        (KindChoices.NUMBER, "forty", "Enter a number, like 42 or 3.5."),
        (KindChoices.NUMBER, "NaN", "Enter a number, like 42 or 3.5."),
        (KindChoices.NUMBER, "1e400", "Enter a number, like 42 or 3.5."),
        (KindChoices.NUMBER, "100000000000000", "Enter a smaller number."),
        (KindChoices.NUMBER, "-1", "Enter 0 or more."),
        (KindChoices.NUMBER, "100.5", "Enter 100 or less."),
        (KindChoices.NUMBER, "1.23456", "Use at most 4 decimal places."),
        (KindChoices.RATING_5, "", "Please answer this question."),
    ],
)
def test_invalid_answers_show_the_form_again_and_store_nothing(
    client, mixed_survey, kind, value, message
):
    if value == "too many":
        value = options(mixed_survey, KindChoices.MULTIPLE)[:3]
    response = client.post(
        answer_url(mixed_survey), with_answer(client, mixed_survey, kind, value)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Nothing was saved yet." in response.content.decode()
    assert Submission.objects.count() == 0 and Answer.objects.count() == 0


def test_too_few_ticks(client, mixed_survey):
    mixed_survey.questions.filter(kind=KindChoices.MULTIPLE).update(min_choices=2)
    response = client.post(
        answer_url(mixed_survey),
        with_answer(
            client,
            mixed_survey,
            KindChoices.MULTIPLE,
            options(mixed_survey, KindChoices.MULTIPLE)[:1],
        ),
    )
    assert "Choose at least 2." in response.content.decode()
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(
    "kind, value",
    [
        (KindChoices.RATING_5, "6"),
        (KindChoices.RATING_5, "0"),
        (KindChoices.RATING_10, "11"),
        (KindChoices.NPS, "-1"),
        (KindChoices.NPS, "7.5"),
        (KindChoices.SINGLE, "999999"),
        (KindChoices.MULTIPLE, ["999999"]),
        (KindChoices.SINGLE, ["first", "second"]),
    ],
)
def test_values_the_form_cannot_send_are_rejected_with_400(
    client, mixed_survey, caplog, kind, value
):
    caplog.set_level(logging.WARNING, logger="canvass.surveys")
    if value == ["first", "second"]:
        value = options(mixed_survey, KindChoices.SINGLE)[:2]
    response = client.post(
        answer_url(mixed_survey), with_answer(client, mixed_survey, kind, value)
    )
    assert response.status_code == 400
    assert any("rejected submission" in r.getMessage() for r in caplog.records)
    assert Submission.objects.count() == 0 and Answer.objects.count() == 0


def test_the_same_option_ticked_twice_is_rejected(client, mixed_survey):
    ticked = options(mixed_survey, KindChoices.MULTIPLE)[0]
    data = with_answer(client, mixed_survey, KindChoices.MULTIPLE, [ticked, ticked])
    assert client.post(answer_url(mixed_survey), data).status_code == 400
    assert Submission.objects.count() == 0


def test_a_survey_of_optional_questions_still_needs_one_answer(client, mixed_survey):
    mixed_survey.questions.update(required=False)
    token = client.get(answer_url(mixed_survey)).context["form"].initial["token"]
    response = client.post(answer_url(mixed_survey), {"token": token})
    assert response.status_code == 200
    assert "Answer at least one question." in response.content.decode()
    assert Submission.objects.count() == 0


def test_the_form_shows_each_kind_with_its_control(client, mixed_survey):
    page = client.get(answer_url(mixed_survey)).content.decode()
    multiple, number = (
        question_of(mixed_survey, KindChoices.MULTIPLE),
        question_of(mixed_survey, KindChoices.NUMBER),
    )
    assert f'type="checkbox" name="q_{multiple.pk}"' in page
    assert f'name="q_{number.pk}" id="id_q_{number.pk}" type="number"' in page
    assert 'min="0" max="100"' in page and "A number from 0 to 100." in page
    assert "Tick 1 to 2." in page
    optional = mixed_survey.questions.filter(required=False).count()
    assert optional >= 3 and page.count('<span class="optional">(optional)</span>') == optional
    assert "0 is not at all, 10 extremely likely." in page
    assert 'maxlength="200"' in page and 'maxlength="5000"' in page
