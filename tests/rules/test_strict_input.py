"""Ids and numbers are plain ASCII digits everywhere (lib/numbers.py): Python's int() and
Decimal() also take full-width and other scripts' digits, underscores and exponents, and an
exponent like 1e1000000 overflowed Decimal arithmetic into a 500."""

import pytest
from django.urls import reverse

from dbtools.factories import build_mixed_survey
from surveys.models import Answer, Question, Submission, Survey
from tests.helpers import answer_url, api_client, database_state, question_of

pytestmark = pytest.mark.django_db

KindChoices = Question.KindChoices


FULL_WIDTH_12 = "\uff11\uff12"


ARABIC_INDIC_12 = "\u0661\u0662"


DEVANAGARI_5 = "\u096b"


# Each is a number to Python and not to Canvass.
NOT_NUMBERS = [FULL_WIDTH_12, ARABIC_INDIC_12, "1_0", "1e3", "1e1000000", "1E+2", "NaN", "inf",
               "0x10", "1,5", "--1", "1.2.3", "½"]  # fmt: skip


def form_data(client, mixed_survey, **answers):
    """A valid answer to the mixed mixed_survey, with `answers` (kind → value) put in."""
    token = client.get(answer_url(mixed_survey)).context["form"].initial["token"]
    values = {
        KindChoices.SINGLE: str(question_of(mixed_survey, KindChoices.SINGLE).options.first().pk),
        KindChoices.MULTIPLE: [
            str(question_of(mixed_survey, KindChoices.MULTIPLE).options.first().pk)
        ],
        KindChoices.SHORT_TEXT: "Blue",
        KindChoices.NUMBER: "42",
        KindChoices.RATING_5: "4",
        **answers,
    }
    return {
        "token": token,
        **{f"q_{question_of(mixed_survey, k).pk}": v for k, v in values.items()},
    }


def submit(mixed_survey, answers, key="strict"):
    return api_client().post(
        f"/api/v1/public/surveys/{mixed_survey.public_token}/responses/",
        {"answers": answers},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def valid_api_answers(mixed_survey, **override):
    answers = {
        KindChoices.SINGLE: {
            "optionId": question_of(mixed_survey, KindChoices.SINGLE).options.first().pk
        },
        KindChoices.MULTIPLE: {
            "optionIds": [question_of(mixed_survey, KindChoices.MULTIPLE).options.first().pk]
        },
        KindChoices.SHORT_TEXT: {"text": "Blue"},
        KindChoices.NUMBER: {"number": 42},
        KindChoices.RATING_5: {"number": 4},
        **override,
    }
    return [
        {"questionId": question_of(mixed_survey, kind).pk, **value}
        for kind, value in answers.items()
    ]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_answer_form_number_takes_plain_digits_only(client, mixed_survey, value):
    response = client.post(
        answer_url(mixed_survey), form_data(client, mixed_survey, **{KindChoices.NUMBER: value})
    )
    assert response.status_code == 200
    assert b"Enter a number, like 42 or 3.5." in response.content
    assert Submission.objects.count() == Answer.objects.count() == 0


@pytest.mark.parametrize(("value", "stored"), [(" 42 ", "42"), ("-0", "0"), (".5", "0.5"),
                                               ("+7.25", "7.25"), ("100.", "100")])  # fmt: skip
def test_answer_form_number_in_plain_digits_is_stored(client, mixed_survey, value, stored):
    response = client.post(
        answer_url(mixed_survey), form_data(client, mixed_survey, **{KindChoices.NUMBER: value})
    )
    assert response.status_code == 302
    number = Answer.objects.get(question__kind=KindChoices.NUMBER).number
    assert number.normalize() == type(number)(stored).normalize()


@pytest.mark.parametrize("value", ["99999999999999", "100000000000000", "1" + "0" * 5000])
def test_answer_form_number_too_large(client, mixed_survey, value):
    question_of(mixed_survey, KindChoices.NUMBER).__class__.objects.filter(
        kind=KindChoices.NUMBER
    ).update(max_value=None)
    response = client.post(
        answer_url(mixed_survey), form_data(client, mixed_survey, **{KindChoices.NUMBER: value})
    )
    if value == "99999999999999":
        assert response.status_code == 302
    else:
        assert response.status_code == 200
        assert b"Enter a smaller number." in response.content


@pytest.mark.parametrize("value", [DEVANAGARI_5, "\uff14", "4.0", "1e0"])
def test_answer_form_rating_takes_only_the_offered_values(client, mixed_survey, value):
    response = client.post(
        answer_url(mixed_survey), form_data(client, mixed_survey, **{KindChoices.RATING_5: value})
    )
    assert response.status_code == 400
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("value", [FULL_WIDTH_12, "1_0", "1e1", ARABIC_INDIC_12])
def test_closing_rules_take_plain_digits_only(alice_client, mixed_survey, value):
    before = database_state()
    response = alice_client.post(
        reverse("surveys:closing", args=[mixed_survey.pk]),
        {"max_responses": value, "one_response_per_browser": "on"},
        follow=True,
    )
    assert "Close after this many responses: Enter a whole number." in [
        str(m) for m in response.context["messages"]
    ]
    assert Survey.objects.get(pk=mixed_survey.pk).max_responses is None
    assert database_state() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_choices", FULL_WIDTH_12), ("min_choices", "1_0"), ("min_value", "1_0"),
     ("max_value", FULL_WIDTH_12), ("max_value", "1e3")],
)  # fmt: skip
def test_question_limits_take_plain_digits_only(alice_client, alice, field, value):
    draft = build_mixed_survey(owner=alice)
    kind = KindChoices.MULTIPLE if "choices" in field else KindChoices.NUMBER
    before = database_state()
    response = alice_client.post(
        reverse("surveys:question_create", args=[draft.pk]),
        {"prompt": "How many?", "kind": kind, "required": "on", field: value},
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] in (
        ["Enter a whole number."],
        ["Enter a number."],
    )
    assert database_state() == before


def test_results_filter_takes_plain_digit_ids_only(alice_client, mixed_survey):
    option = question_of(mixed_survey, KindChoices.SINGLE).options.first()
    url = reverse("surveys:results", args=[mixed_survey.pk])
    assert alice_client.get(url, {"chose": str(option.pk)}).status_code == 200
    wide = "".join(chr(0xFF10 + int(d)) for d in str(option.pk))
    assert alice_client.get(url, {"chose": wide}).status_code == 404


def test_api_valid_submission_passes(mixed_survey):
    assert submit(mixed_survey, valid_api_answers(mixed_survey)).status_code == 201


@pytest.mark.parametrize("value", [FULL_WIDTH_12, ARABIC_INDIC_12, "1_0", "1e3", "1e1000000"])
def test_api_number_takes_plain_digits_only(mixed_survey, value):
    response = submit(
        mixed_survey, valid_api_answers(mixed_survey, **{KindChoices.NUMBER: {"number": value}})
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert Submission.objects.count() == 0


def test_api_number_as_a_json_number_or_plain_string(mixed_survey):
    answers = valid_api_answers(mixed_survey, **{KindChoices.NUMBER: {"number": "12.5"}})
    assert submit(mixed_survey, answers).status_code == 201
    assert Answer.objects.get(question__kind=KindChoices.NUMBER).number == 12.5


@pytest.mark.parametrize("as_text", [True, False])
def test_api_question_id_takes_plain_digits_only(mixed_survey, as_text):
    answers = valid_api_answers(mixed_survey)
    pk = str(answers[0]["questionId"])
    answers[0]["questionId"] = "".join(chr(0xFF10 + int(d)) for d in pk) if as_text else True
    response = submit(mixed_survey, answers)
    assert response.status_code == 400
    assert "questionId" in str(response.json())
    assert Submission.objects.count() == 0


def test_api_option_id_takes_plain_digits_only(mixed_survey):
    option = question_of(mixed_survey, KindChoices.SINGLE).options.first()
    wide = "".join(chr(0xFF10 + int(d)) for d in str(option.pk))
    response = submit(
        mixed_survey, valid_api_answers(mixed_survey, **{KindChoices.SINGLE: {"optionId": wide}})
    )
    assert response.status_code == 400
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("value", [FULL_WIDTH_12, "1_0", "1e3", True])
def test_api_question_limits_take_plain_digits_only(alice, value):
    draft = build_mixed_survey(owner=alice)
    before = database_state()
    response = api_client(alice).post(
        f"/api/v1/surveys/{draft.pk}/questions/",
        {"prompt": "How many?", "kind": "number", "maxValue": value},
        format="json",
    )
    assert response.status_code == 400
    assert "maxValue" in response.json()
    assert database_state() == before
