"""submit_response's rules, whoever calls it: every question once, each option its
own, open surveys only, exactly once, all or nothing."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from surveys import errors, responses, tallies
from surveys.answers import clean_answers
from surveys.models import (
    Answer,
    OptionTally,
    QuestionTally,
    Submission,
    SurveyTally,
)

pytestmark = pytest.mark.django_db


def choices_for(survey, pick=0):
    return {
        q.pk: list(q.options.all())[pick].pk for q in survey.questions.prefetch_related("options")
    }


class Boom(RuntimeError):
    pass


def _boom(*args, **kwargs):
    raise Boom("a later step failed")


def test_submit_requires_every_question_exactly_once(active_survey):
    choices = choices_for(active_survey)
    incomplete = dict(list(choices.items())[:1])
    with pytest.raises(ValidationError, match="Please answer this question"):
        responses.submit_response(
            survey=active_survey,
            token=uuid.uuid4().hex,
            answers=clean_answers(active_survey, incomplete),
        )
    with pytest.raises(ValidationError):
        responses.submit_response(
            survey=active_survey, token=uuid.uuid4().hex, answers=clean_answers(active_survey, {})
        )
    extra = {**choices, 10**9: 1}
    with pytest.raises(ValidationError):
        responses.submit_response(
            survey=active_survey,
            token=uuid.uuid4().hex,
            answers=clean_answers(active_survey, extra),
        )
    assert Submission.objects.count() == 0


def test_submit_refuses_an_option_of_another_question(active_survey):
    choices = choices_for(active_survey)
    q1, q2 = choices
    swapped = {q1: choices[q2], q2: choices[q1]}
    with pytest.raises(ValidationError, match="not one of this question's options"):
        responses.submit_response(
            survey=active_survey, token="x", answers=clean_answers(active_survey, swapped)
        )
    assert Submission.objects.count() == 0


def test_submit_refuses_draft_and_closed(draft_survey, closed_survey):
    for survey in (draft_survey, closed_survey):
        with pytest.raises(errors.SurveyClosed):
            responses.submit_response(
                survey=survey, token="x", answers=clean_answers(survey, choices_for(survey))
            )
    assert Submission.objects.count() == 0


def test_submit_twice_returns_the_first(active_survey):
    first, created = responses.submit_response(
        survey=active_survey,
        token="once",
        answers=clean_answers(active_survey, choices_for(active_survey, 0)),
    )
    again, created_again = responses.submit_response(
        survey=active_survey,
        token="once",
        answers=clean_answers(active_survey, choices_for(active_survey, 1)),
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert {a.option_id for a in first.answers.all()} == set(
        choices_for(active_survey, 0).values()
    )


@pytest.mark.parametrize("step", ["answers", "tallies"])
def test_a_failure_after_the_submission_row_leaves_nothing(active_survey, monkeypatch, step):
    """The submission, its answers and its tallies are one transaction: if a later step
    fails, the submission row goes too (a submission without answers would be counted)."""
    if step == "answers":
        monkeypatch.setattr(Answer.objects, "bulk_create", _boom)
    else:
        monkeypatch.setattr(tallies, "count_submission", _boom)
    choices = {q.pk: q.options.first().pk for q in active_survey.questions.all()}
    with pytest.raises(Boom):
        responses.submit_response(
            survey=active_survey, token="t", answers=clean_answers(active_survey, choices)
        )
    assert Submission.objects.count() == Answer.objects.count() == 0
    assert not SurveyTally.objects.exists()
    assert not QuestionTally.objects.exists() and not OptionTally.objects.exists()
