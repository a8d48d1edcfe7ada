"""What the database itself refuses, whatever the caller."""

import pytest
from django.db import IntegrityError, transaction

from dbtools.factories import OptionFactory, QuestionFactory, SurveyFactory, build_survey
from surveys.models import (
    Answer,
    Submission,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "make",
    [
        lambda: SurveyFactory(title="  "),
        lambda: QuestionFactory(prompt=""),
        lambda: OptionFactory(text="   "),
        lambda: SurveyFactory(status="running"),
    ],
)
def test_database_refuses_blank_texts_and_bad_status(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_database_allows_each_option_once_and_one_text_or_number_per_submission(active_survey):
    question = active_survey.questions.first()
    a, b, _ = question.options.all()
    submission = Submission.objects.create(survey=active_survey, token="t")
    Answer.objects.create(submission=submission, question=question, option=a)
    Answer.objects.create(submission=submission, question=question, option=b)  # multiple choice
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(submission=submission, question=question, option=a)
    other = active_survey.questions.last()
    Answer.objects.create(submission=submission, question=other, text="first")
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(submission=submission, question=other, number=3)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"text": "x", "number": 1},
        {"option_index": 0, "text": "x"},
        {"option_index": 0, "text": "x", "number": 1},
    ],
)
def test_database_wants_one_kind_of_value_per_answer(active_survey, values):
    """Nothing, or a text beside anything else, is refused; an option may carry a number
    (a ranking's place, a matrix row's point)."""
    question = active_survey.questions.first()
    submission = Submission.objects.create(survey=active_survey, token="t")
    values = dict(values)
    if "option_index" in values:
        values["option"] = question.options.all()[values.pop("option_index")]
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(submission=submission, question=question, **values)


def test_database_allows_a_token_once_per_survey(active_survey, alice):
    Submission.objects.create(survey=active_survey, token="t")
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(survey=active_survey, token="t")
    other = build_survey(owner=alice, status="active")
    Submission.objects.create(survey=other, token="t")


def test_public_tokens_are_unique_and_long():
    tokens = {SurveyFactory().public_token for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) >= 22 for token in tokens)
